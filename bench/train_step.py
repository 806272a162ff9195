"""How close U-Net training runs to this machine's arithmetic limit.

In one run, per image size (64 and 128 px):

1. the ceiling: the rate of a large matrix multiplication (GFLOP/s) in every precision the
   machine offers — float32 through TensorFlow and NumPy (OpenBLAS), bfloat16 through
   TensorFlow (oneDNN: AMX tiles or AVX-512 BF16 where the CPU has them, emulated where not);
   the best of them is the machine's limit;
2. the FLOPs of one training step, counted analytically: forward multiply-adds of every
   convolution (2·H·W·k²·C_in·C_out each) times 3 for forward + backward (the backward pass
   computes two convolutions per forward one: gradients of inputs and of weights).
   BatchNorm, ReLU, pooling and the optimizer update are left out (<2 % of the total);
3. (a) the plain way: the same U-Net fit on in-memory NumPy arrays with a default
   ``compile``/``fit``; (b) the package's path: ``pipelines.noisy_batches`` feeding a model
   compiled with ``training.compile_model`` (4 steps per call, XLA as Keras chooses).

Each is run per Keras precision policy (``--precisions``, default float32 and
mixed_bfloat16). It prints img/s, achieved GFLOP/s, the fraction of the best ceiling and the
ratio b/a. To show
what holds the U-Net below the ceiling, it also times one 3×3 convolution and its two
gradients (same FLOPs each) at the widths the U-Net uses.

    python bench/train_step.py [--base-filters 32] [--batch 16] [--steps 30]
        [--precisions float32 mixed_bfloat16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import models, noise, pipelines, training


def best_seconds(run, repeats: int = 5) -> float:
    """Shortest wall time of ``run()`` over ``repeats`` calls, after one untimed call."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_ceiling(n: int = 4096) -> dict[str, float]:
    """GFLOP/s of an n×n matrix product: float32 by TensorFlow and by NumPy (OpenBLAS), and
    bfloat16 by TensorFlow; the largest is the machine's achievable rate. (On the AMD EPYC
    measured, TensorFlow's float32 matmul reached about half of OpenBLAS, so TensorFlow alone
    would understate the float32 ceiling; NumPy has no bfloat16.)"""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    rates = {}
    for name, dtype in (("tensorflow float32", tf.float32), ("tensorflow bfloat16", tf.bfloat16)):
        x, y = tf.cast(a, dtype), tf.cast(b, dtype)
        product = tf.function(lambda x=x, y=y: tf.reduce_sum(tf.cast(tf.matmul(x, y), tf.float32)))
        rates[name] = 2 * n**3 / best_seconds(lambda product=product: product().numpy()) / 1e9
    a_np, b_np = a.numpy(), b.numpy()
    rates["numpy float32"] = 2 * n**3 / best_seconds(lambda: a_np @ b_np) / 1e9
    return rates


def forward_flops(model: keras.Model, shape: tuple[int, ...], match: str | None = None) -> float:
    """Forward FLOPs of ``model`` for one input of ``shape`` (no batch axis), from the traced
    graph: Conv2D (2·h·w·k²·C_in·C_out), transposed convolutions (their input side) and dense
    MatMuls (2·m·k·n). ``match``: count only ops whose name contains it (a layer name)."""

    @tf.function(autograph=False)
    def forward(x):
        return model(x, training=False)

    graph = forward.get_concrete_function(tf.TensorSpec([1, *shape])).graph
    total = 0.0
    for op in graph.get_operations():
        if match is not None and match not in op.name:
            continue
        if op.type == "Conv2D":
            _, h, w, cout = op.outputs[0].shape
            kh, kw, cin, _ = op.inputs[1].shape
        elif op.type == "Conv2DBackpropInput":  # transposed conv: cost of its input side
            _, h, w, cin = op.inputs[2].shape
            kh, kw, cout, _ = op.inputs[1].shape
        elif op.type == "MatMul":
            m, k = op.inputs[0].shape
            n = op.outputs[0].shape[-1]
            total += 2.0 * m * k * n
            continue
        else:
            continue
        total += 2.0 * h * w * kh * kw * cin * cout
    return total


def conv_rates(
    channels: int, batch: int = 16, flops: float = 8e9, dtype: tf.DType = tf.float32
) -> dict[str, float]:
    """GFLOP/s of one 3×3 ``channels`` → ``channels`` convolution and of its two gradients
    (the backward pass of training: w.r.t. the input and w.r.t. the kernel), on a square
    input sized so that each does about ``flops`` FLOPs, in ``dtype``."""
    side = max(8, round((flops / (2 * 9 * channels**2 * batch)) ** 0.5))
    x = tf.cast(tf.random.normal([batch, side, side, channels]), dtype)
    kernel = tf.cast(tf.random.normal([3, 3, channels, channels]), dtype)
    grad = tf.cast(tf.random.normal([batch, side, side, channels]), dtype)
    ops = {
        "forward": lambda: tf.nn.conv2d(x, kernel, 1, "SAME"),
        "input grad": lambda: tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(x),
            filter=kernel,
            out_backprop=grad,
            strides=[1, 1, 1, 1],
            padding="SAME",
        ),
        "kernel grad": lambda: tf.raw_ops.Conv2DBackpropFilter(
            input=x,
            filter_sizes=tf.shape(kernel),
            out_backprop=grad,
            strides=[1, 1, 1, 1],
            padding="SAME",
        ),
    }
    work = 2 * 9 * channels**2 * batch * side * side
    rates = {}
    for name, op in ops.items():
        run = tf.function(lambda op=op: tf.reduce_sum(tf.cast(op(), tf.float32)))
        rates[name] = work / best_seconds(lambda run=run: run().numpy()) / 1e9
    return rates


def build(size: int, base_filters: int) -> keras.Model:
    return models.unet((size, size, 3), depth=4, base_filters=base_filters, output_channels=3)


def clean_images(count: int, size: int, seed: int = 0) -> np.ndarray:
    """Smooth random images (content does not matter for speed)."""
    rng = np.random.default_rng(seed)
    low = rng.random((count, size // 8, size // 8, 3), dtype=np.float32)
    return tf.image.resize(low, (size, size)).numpy().clip(0, 1)


def plain_rate(size: int, base_filters: int, batch: int, steps: int) -> float:
    x_clean = clean_images(batch * steps, size)
    x_noisy = noise.gaussian(x_clean, 25 / 255, seed=1).numpy()
    model = build(size, base_filters)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x_noisy[: batch * 2], x_clean[: batch * 2], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x_noisy, x_clean, batch_size=batch, epochs=1, verbose=0)
    return batch * steps / (time.perf_counter() - start)


def package_rate(size: int, base_filters: int, batch: int, steps: int) -> float:
    clean = tf.data.Dataset.from_tensor_slices(clean_images(batch * steps, size)).cache()
    ds = pipelines.noisy_batches(clean, batch, "gaussian", 25 / 255, seed=1, drop_remainder=True)
    model = build(size, base_filters)
    training.compile_model(model, optimizer="adam", loss="mse")
    model.fit(ds.take(2), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0)
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument(
        "--precisions",
        nargs="+",
        choices=("float32", "mixed_bfloat16", "mixed_float16"),
        default=["float32", "mixed_bfloat16"],
    )
    parser.add_argument("--json")
    args = parser.parse_args()
    matmuls = matmul_ceiling()
    ceiling = max(matmuls.values())
    rows = []
    for size in args.sizes:
        step_flops = 3 * forward_flops(build(size, args.base_filters), (size, size, 3))
        for precision in args.precisions:
            keras.mixed_precision.set_global_policy(precision)
            plain = plain_rate(size, args.base_filters, args.batch, args.steps)
            package = package_rate(size, args.base_filters, args.batch, args.steps)
            rows.append(
                {
                    "size": size,
                    "precision": precision,
                    "gflop_per_image": step_flops / 1e9,
                    "plain_img_s": plain,
                    "package_img_s": package,
                }
            )
        keras.mixed_precision.set_global_policy("float32")
    params = models.count_params(build(64, args.base_filters))
    print(
        f"U-Net depth 4, base {args.base_filters} ({params.total / 1e6:.1f} M parameters), "
        f"batch {args.batch}, {os.cpu_count()} cores, TF {tf.__version__}, "
        f"ceiling {ceiling:.0f} GFLOP/s (n=4096 matmul: "
        + ", ".join(f"{name} {rate:.0f}" for name, rate in matmuls.items())
        + ")"
    )
    print(
        f"{'size':>5} {'precision':>15} {'GFLOP/img':>10} {'plain img/s':>12} {'GFLOP/s':>8} "
        f"{'of ceil':>8} {'package img/s':>14} {'GFLOP/s':>8} {'of ceil':>8} {'b/a':>5}"
    )
    for r in rows:
        plain_g = r["plain_img_s"] * r["gflop_per_image"]
        package_g = r["package_img_s"] * r["gflop_per_image"]
        r.update(ceiling_gflop_s=ceiling, plain_gflop_s=plain_g, package_gflop_s=package_g)
        print(
            f"{r['size']:>4}² {r['precision']:>15} {r['gflop_per_image']:>10.2f} "
            f"{r['plain_img_s']:>12.1f} "
            f"{plain_g:>8.0f} {plain_g / ceiling:>8.0%} {r['package_img_s']:>14.1f} "
            f"{package_g:>8.0f} {package_g / ceiling:>8.0%} "
            f"{r['package_img_s'] / r['plain_img_s']:>5.2f}"
        )
    widths = [args.base_filters * 2**level for level in range(5)]
    dtypes = {
        p: tf.as_dtype(keras.mixed_precision.Policy(p).compute_dtype) for p in args.precisions
    }
    rates = {
        precision: {
            width: conv_rates(width, args.batch, dtype=dtypes[precision]) for width in widths
        }
        for precision in args.precisions
    }
    for precision, by_width in rates.items():
        print(
            f"one 3×3 convolution ({dtypes[precision].name}, batch {args.batch}), GFLOP/s "
            "and fraction of the best ceiling:"
        )
        for width, by_op in by_width.items():
            print(
                f"  {width:>4} ch  "
                + "  ".join(f"{op} {r:>4.0f} ({r / ceiling:.0%})" for op, r in by_op.items())
            )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(
                {"rows": rows, "conv_gflop_s": rates, "matmul_gflop_s": matmuls}, handle, indent=2
            )


if __name__ == "__main__":
    main()
