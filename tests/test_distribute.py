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

import numpy as np
import pytest

from ssl_keras import pipelines

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
        "recipe_global_batch": denoising.recipe("smoke").global_batch_size,
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
    head = transfer.study._Resettable(build, 1e-3)  # label_efficiency's models
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


@pytest.mark.slow
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
    assert result["recipe_batch"] == result["profile_batch"]  # stored per replica
    assert result["recipe_global_batch"] == 2 * result["profile_batch"]

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


REMAINDER_SCRIPT = textwrap.dedent(
    """
    import json
    import pathlib
    import tempfile

    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    tf.config.threading.set_intra_op_parallelism_threads(1)

    import keras
    import numpy as np

    from ssl_keras import anomaly, colorization, denoising, pipelines, runtime, segmentation, training

    rt = runtime.setup(seed=0, deterministic=True, profile="smoke", verbose=False)
    GLOBAL, SIZE = 8, 8
    rng = np.random.default_rng(0)


    def data(n):
        x = rng.random((n, SIZE, SIZE, 3), dtype=np.float32)
        y = (x[:, :4, :4, 0].mean(axis=(1, 2)) > 0.5).astype(np.float32)[:, None]
        return x, y


    # 27 training images: batches of 8, 8, 8 and 3; 11 validation images: 8 and 3.
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data(27), data(11), data(13)


    def build():
        return keras.Sequential(
            [
                keras.Input((SIZE, SIZE, 3)),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )


    keras.utils.set_random_seed(0)
    initial = build().get_weights()


    def make(distributed):
        with runtime.scope() if distributed else tf.distribute.get_strategy().scope():
            model = build()
        model.set_weights(initial)
        metrics = ["accuracy", keras.metrics.AUC(name="auc"), "mae"]
        return training.compile_model(model, "sgd", "binary_crossentropy", metrics)


    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    single, mirrored = make(False), make(True)
    result = {"replicas": rt.replicas}
    history = single.fit(
        train.batch(GLOBAL, drop_remainder=True),
        validation_data=(x_val, y_val),
        validation_batch_size=GLOBAL,
        epochs=2,
        verbose=0,
    ).history
    result["single_history"] = history
    try:  # the package's batching: remainder dropped in training, padded in validation
        history = mirrored.fit(
            pipelines.batch(train, GLOBAL),
            validation_data=pipelines.eval_dataset(x_val, y_val, GLOBAL),
            epochs=2,
            verbose=0,
        ).history
        result["mirrored_history"] = history
        result["steps"] = int(mirrored.optimizer.iterations.numpy())
        mirrored.set_weights(single.get_weights())  # evaluate the very same weights
        for n in (13, 1):  # a remainder of 5; a single example on two replicas
            x, y = x_test[:n], y_test[:n]
            result[f"single_eval_{n}"] = single.evaluate(
                x, y, batch_size=GLOBAL, verbose=0, return_dict=True
            )
            result[f"mirrored_eval_{n}"] = mirrored.evaluate(
                pipelines.eval_dataset(x, y, GLOBAL), verbose=0, return_dict=True
            )
            predicted = pipelines.predict(mirrored, x, GLOBAL)
            expected = single.predict(x, batch_size=GLOBAL, verbose=0)
            result[f"predict_shape_{n}"] = list(predicted.shape)
            result[f"predict_diff_{n}"] = float(np.max(np.abs(predicted - expected)))
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"


    # The package's own batching, 9 examples in batches of 4 on the two replicas.
    def sizes(ds):
        return [int(tf.shape(tf.nest.flatten(b)[0])[0]) for b in ds]


    images = rng.random((9, 16, 16, 3), dtype=np.float32)
    masks = rng.integers(0, 3, (9, 16, 16, 1)).astype(np.int32)
    pairs = tf.data.Dataset.from_tensor_slices((images, masks))
    folder = tempfile.mkdtemp()
    for i in range(5):
        png = tf.io.encode_png(tf.cast(images[i] * 255, tf.uint8))
        tf.io.write_file(f"{folder}/{i}.png", png)
    files = sorted(str(p) for p in pathlib.Path(folder).iterdir())
    result["package_batches"] = {
        "pipelines.batch": sizes(pipelines.batch(pairs, 4)),
        "segmentation.batches(training)": sizes(segmentation.batches(pairs, 4, training=True)),
        "segmentation.batches": sizes(segmentation.batches(pairs, 4)),
        "anomaly.pretext_dataset": sizes(
            anomaly.pretext_dataset(images, 4, repeat=False, shuffle=False)
        ),
        "colorization.lab_batches": sizes(
            colorization.lab_batches(tf.data.Dataset.from_tensor_slices(images), 4)
        ),
        "denoising.noisy_dataset": sizes(denoising.noisy_dataset(files, 16, 4)),
        "eval_dataset(1 example)": sizes(pipelines.eval_dataset(images[:1], masks[:1], 4)),
    }
    print("RESULT " + json.dumps(result))
    """
)


@pytest.mark.slow
def test_mirrored_remainders_match_one_device():
    """Batches that do not split over two replicas: fit (training remainder), validation
    with NumPy arrays of odd length, evaluate (a remainder and a single example), predict."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", REMAINDER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["replicas"] == 2
    assert "error" not in result, result["error"]
    assert result["steps"] == 2 * 3  # 27 // 8 full batches per epoch, the 3 left dropped

    # Same initial weights and batches: training and validation match up to float32
    # rounding of the replicas' summed gradients; the padded validation loss is exact.
    single, mirrored = result["single_history"], result["mirrored_history"]
    assert set(single) == set(mirrored) and "val_auc" in single
    for name, values in single.items():
        assert np.allclose(values, mirrored[name], rtol=1e-5, atol=1e-6), (name, result)

    # The same weights on one and on two replicas: the same metrics and predictions.
    for n in (13, 1):
        one, two = result[f"single_eval_{n}"], result[f"mirrored_eval_{n}"]
        assert set(one) == set(two)
        for name, value in one.items():
            assert abs(value - two[name]) <= 1e-6 + 1e-5 * abs(value), (n, name, result)
        assert result[f"predict_shape_{n}"] == [n, 1]
        assert result[f"predict_diff_{n}"] < 1e-6, result

    # Training drops the last partial batch; evaluation regroups 4 + 4 + 1 as 4 + 2 + 3 (the
    # first batch even, none smaller than 2) and repeats a single example once per replica.
    batches = result["package_batches"]
    for name in ("pipelines.batch", "segmentation.batches(training)"):
        assert batches.pop(name) == [4, 4], name
    assert batches.pop("denoising.noisy_dataset") == [2, 3]  # 5 images
    assert batches.pop("eval_dataset(1 example)") == [2]
    assert batches == dict.fromkeys(batches, [4, 2, 3]), batches


def test_replica_batch_sizes():
    for count in range(1, 60):
        for batch_size in (1, 2, 3, 4, 8, 32):
            for replicas in (1, 2, 3, 8):
                sizes = pipelines.replica_batch_sizes(count, batch_size, replicas)
                if count % replicas and count < 2 * replicas:
                    assert sizes is None
                    continue
                assert sum(sizes) == count and sizes[0] % replicas == 0
                size = -(-batch_size // replicas) * replicas
                assert replicas <= min(sizes) and max(sizes) <= size + replicas
