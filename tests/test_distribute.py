"""Multi-replica training on two logical CPUs matches single-device training.

Logical devices must be configured before TensorFlow initialises its devices, which the
pytest process has already done, so the training runs in a fresh Python process that
prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import dataclasses
    import json

    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    tf.config.threading.set_intra_op_parallelism_threads(1)

    import keras
    import numpy as np

    from ssl_keras import anomaly, denoising, models, profiles, runtime, training, transfer

    rt = runtime.setup(seed=0, deterministic=True, profile="smoke", verbose=False)
    result = {
        "strategy": rt.strategy_name,
        "replicas": rt.replicas,
        "runtime_batch": rt.batch_size,
        "profile_batch": profiles.SMOKE.batch_size,
        "recipe_batch": denoising.recipe("smoke").batch_size,
        "helper_replicas": runtime.replicas(),
    }

    PER_REPLICA, STEPS, EPOCHS, SIZE = 4, 6, 2, 16
    GLOBAL = PER_REPLICA * rt.replicas
    rng = np.random.default_rng(0)
    clean = rng.random((GLOBAL * STEPS, SIZE, SIZE, 3), dtype=np.float32)
    noisy = clean + 0.1 * rng.standard_normal(clean.shape, dtype=np.float32)


    def batches():
        # The same global batches in the same order for both runs.
        return tf.data.Dataset.from_tensor_slices((noisy, clean)).batch(
            GLOBAL, drop_remainder=True
        )


    def build():
        return models.unet(
            (SIZE, SIZE, 3),
            depth=2,
            base_filters=4,
            batch_norm=False,
            output_channels=3,
            output_activation=None,
        )


    keras.utils.set_random_seed(0)
    initial = build().get_weights()


    def train(distributed):
        if distributed:
            with runtime.scope():  # rt.strategy: MirroredStrategy over the 2 CPUs
                model = build()
        else:
            model = build()  # the default strategy: one device
        model.set_weights(initial)
        with runtime.scope(model):  # the optimizer's step counter must be mirrored too
            optimizer = keras.optimizers.SGD(0.05)
        # Outside any scope: compile_model compiles under the model's strategy.
        training.compile_model(model, optimizer, loss="mse", steps_per_execution=1)
        history = model.fit(batches(), epochs=EPOCHS, shuffle=False, verbose=0)
        return model, history.history["loss"]


    single, single_loss = train(False)
    mirrored, mirrored_loss = train(True)
    kernel = mirrored.trainable_weights[0].value
    result["single_strategy"] = type(single.distribute_strategy).__name__
    result["mirrored_strategy"] = type(mirrored.distribute_strategy).__name__
    result["mirrored_variable"] = isinstance(kernel, tf.distribute.DistributedValues)
    result["optimizer_variable"] = isinstance(
        mirrored.optimizer.iterations.value, tf.distribute.DistributedValues
    )
    result["steps"] = [int(m.optimizer.iterations.numpy()) for m in (single, mirrored)]
    try:  # an optimizer made outside the model's strategy is refused
        training.compile_model(mirrored, keras.optimizers.SGD(0.05), loss="mse")
        result["mismatch_refused"] = False
    except ValueError:
        result["mismatch_refused"] = True
    result["single_loss"] = [float(v) for v in single_loss]
    result["mirrored_loss"] = [float(v) for v in mirrored_loss]
    w0, w1 = single.get_weights(), mirrored.get_weights()
    result["max_abs_weight_diff"] = max(float(np.max(np.abs(a - b))) for a, b in zip(w0, w1))
    result["max_weight_change"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(w0, initial)
    )
    result["max_rel_loss_diff"] = max(
        abs(a - b) / abs(a) for a, b in zip(single_loss, mirrored_loss)
    )
    ok = all(
        np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(w0, w1)
    ) and np.allclose(single_loss, mirrored_loss, rtol=1e-4, atol=1e-6)
    result["weights_and_losses_close"] = bool(ok)


    def mirrored_variables(model):
        return all(
            isinstance(v.value, tf.distribute.DistributedValues) for v in model.weights
        )


    # The package's own builders create their models under the runtime's strategy.
    tiny = dict(depth=2, base_filters=4)
    head = transfer._Resettable(build, 1e-3)  # label_efficiency's models
    result["package_models_mirrored"] = {
        "build_denoiser": mirrored_variables(
            denoising.build_denoiser(dataclasses.replace(denoising.recipe("smoke"), **tiny))
        ),
        "pretext_model": mirrored_variables(
            anomaly.pretext_model((SIZE, SIZE, 3), hidden=8, **tiny)
        ),
        "label_efficiency": mirrored_variables(head.model)
        and isinstance(head.model.optimizer.iterations.value, tf.distribute.DistributedValues),
    }
    print("RESULT " + json.dumps(result))
    """
)


def test_mirrored_training_on_two_cpus_matches_one_device():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, env=env
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(lines[-1][len("RESULT ") :])

    # runtime.setup() mirrors over the two logical CPUs; batches scale with the replicas.
    assert (result["strategy"], result["replicas"], result["helper_replicas"]) == (
        "MirroredStrategy",
        2,
        2,
    )
    assert result["runtime_batch"] == 2 * result["profile_batch"]
    assert result["recipe_batch"] == 2 * result["profile_batch"]

    # Built and compiled under the strategy: mirrored model and optimizer variables.
    assert result["single_strategy"] == "_DefaultDistributionStrategy"
    assert result["mirrored_strategy"] == "MirroredStrategy"
    assert result["mirrored_variable"] and result["optimizer_variable"]
    assert result["steps"] == [12, 12]
    assert result["mismatch_refused"]
    assert result["package_models_mirrored"] == dict.fromkeys(
        ("build_denoiser", "pretext_model", "label_efficiency"), True
    )

    # Same data, same initial weights, plain SGD: the same training up to float32 rounding
    # (the replicas' gradients are summed in a different order); measured: at most 9e-8
    # between the weights (which moved by up to 0.2) and 8e-8 relative between the losses.
    assert result["max_weight_change"] > 1e-3, "training did not move the weights"
    assert result["max_abs_weight_diff"] < 1e-5, result
    assert result["max_rel_loss_diff"] < 1e-4, result
    assert result["weights_and_losses_close"], result
