#!/usr/bin/env python3
"""PyTorch twin of the RAN training benchmark (scripts/bench-train.ts).

The identical reconstructor and discriminator (src/models/rec-adv/architecture.ts) in PyTorch,
timed at batch 64 on the CPU with 1 and then 2 intra-op threads:

  python3 scripts/bench_train_torch.py [--json] [--batch 64] [--repeats 5] [--warmup 2] [--threads 1,2]

* Conv2D(k4, 'same') as TensorFlow pads: pad_total = max((out - 1) * s + k - in, 0), before =
  pad_total // 2, after = the rest. For k4 s2 on an even input that is 1 before and 1 after
  (32 -> 16: (16 - 1) * 2 + 4 - 32 = 2); for k4 s1 it is 1 before and 2 after.
* InstanceNorm as keras-contrib's with axis=None: per sample, mean and biased std over ALL of
  C, H, W; y = (x - mean) / (std + 1e-3) * gamma + beta with one scalar gamma and beta.
* LeakyReLU(0.2), nearest upsampling, Adam(lr 2e-4, betas (0.5, 0.999)).
* Steps as src/models/rec-adv/train-step.ts: discriminator step = one Adam step on MSE(D(x), 1);
  reconstructor step = one Adam step on 0.999 MSE(R(x), x) + 0.001 MSE(D(R(x)), 1) with D frozen;
  combined = R(x) without gradients, D step on real (to 1), D step on R(x) (to 0), R step, all on
  the same batch of `--batch` images; inference = R(x) in eval/no_grad at batch 64, per image.

With --json, prints one JSON object (times in ms) and nothing else on stdout.
"""
import argparse
import json
import platform
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # pragma: no cover - reported to the caller
    print(json.dumps({"error": f"PyTorch is not importable by {sys.executable}: {error}"}))
    sys.exit(3)


def same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Module):
    """Conv2d with TensorFlow's 'same' padding (asymmetric when the total is odd)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=0)
        nn.init.xavier_uniform_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_pad(x.shape[2], self.kernel, self.stride)
        left, right = same_pad(x.shape[3], self.kernel, self.stride)
        if top == bottom and left == right:
            return F.conv2d(x, self.conv.weight, self.conv.bias, self.stride, (top, left))
        return self.conv(F.pad(x, (left, right, top, bottom)))


class InstanceNormAll(nn.Module):
    """keras-contrib InstanceNormalization(axis=None): stats over C, H, W; scalar gamma, beta."""

    def __init__(self, epsilon: float = 1e-3):
        super().__init__()
        self.epsilon = epsilon
        self.gamma = nn.Parameter(torch.ones(1))
        self.beta = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = (x - mean).pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
        return (x - mean) / (std + self.epsilon) * self.gamma + self.beta


def build_reconstructor(channels: int = 3, gf: int = 32) -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = channels
    for m in (1, 2, 4, 4, 8):
        layers += [SameConv2d(cin, gf * m, 4, 2), nn.LeakyReLU(0.2), InstanceNormAll()]
        cin = gf * m
    for m in (8, 8, 8, 4, 2):
        layers += [nn.Upsample(scale_factor=2, mode="nearest"), SameConv2d(cin, gf * m, 4, 1), nn.ReLU(), InstanceNormAll()]
        cin = gf * m
    layers += [SameConv2d(cin, channels, 4, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def build_discriminator(channels: int = 3, df: int = 64) -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = channels
    for i, m in enumerate((1, 2, 4, 8)):
        layers += [SameConv2d(cin, df * m, 4, 2), nn.LeakyReLU(0.2)]
        if i > 0:
            layers.append(InstanceNormAll())
        cin = df * m
    layers.append(SameConv2d(cin, 1, 4, 1))
    return nn.Sequential(*layers)


def median_ms(run, warmup: int, repeats: int) -> tuple[float, list[float], float]:
    """Median wall ms, the wall ms of every run, and the median process CPU ms (all threads)."""
    for _ in range(warmup):
        run()
    times = []
    cpu = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(times), times, statistics.median(cpu)


def bench(threads: int, batch: int, warmup: int, repeats: int) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    R, D = build_reconstructor(), build_discriminator()
    opt_r = torch.optim.Adam(R.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.rand(batch, 3, 32, 32) * 2 - 1
    w_rec, w_adv = 0.999, 0.001

    def d_step(images: torch.Tensor, target: float) -> float:
        opt_d.zero_grad(set_to_none=True)
        out = D(images)
        loss = F.mse_loss(out, torch.full_like(out, target))
        loss.backward()
        opt_d.step()
        return loss.item()

    def r_step() -> float:
        D.requires_grad_(False)  # D frozen: gradients flow through it to R(x) only
        opt_r.zero_grad(set_to_none=True)
        rec = R(x)
        validity = D(rec)
        loss = w_rec * F.mse_loss(rec, x) + w_adv * F.mse_loss(validity, torch.ones_like(validity))
        loss.backward()
        opt_r.step()
        D.requires_grad_(True)
        return loss.item()

    def combined() -> None:
        with torch.no_grad():
            fake = R(x)
        d_step(x, 1.0)
        d_step(fake, 0.0)
        with torch.no_grad():
            F.mse_loss(fake, x).item()
        r_step()

    def infer() -> None:
        R.eval()
        with torch.no_grad():
            R(x[:64]).sum().item()
        R.train()

    r_ms, r_runs, r_cpu = median_ms(r_step, warmup, repeats)
    d_ms, d_runs, d_cpu = median_ms(lambda: d_step(x, 1.0), warmup, max(repeats, 5))
    c_ms, c_runs, c_cpu = median_ms(combined, warmup, repeats)
    i_ms, i_runs, i_cpu = median_ms(infer, warmup, max(repeats, 5))
    return {
        "threads": threads,
        "reconstructorStepMs": r_ms,
        "discriminatorStepMs": d_ms,
        "combinedStepMs": c_ms,
        "inferenceMsPerImage": i_ms / min(64, batch),
        "cpuMs": {"reconstructorStepMs": r_cpu, "discriminatorStepMs": d_cpu, "combinedStepMs": c_cpu, "inferenceMsPerImage": i_cpu / min(64, batch)},
        "runs": {"reconstructorStepMs": r_runs, "discriminatorStepMs": d_runs, "combinedStepMs": c_runs, "inferenceBatchMs": i_runs},
        "params": {"reconstructor": sum(p.numel() for p in R.parameters()), "discriminator": sum(p.numel() for p in D.parameters())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    torch.set_num_interop_threads(1)
    results = [bench(int(t), args.batch, args.warmup, args.repeats) for t in args.threads.split(",")]
    report = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "batch": args.batch,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "results": results,
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"PyTorch {report['torch']} (python {report['python']}, mkldnn {report['mkldnn']}), batch {args.batch}, median of {args.repeats}")
    for r in results:
        print(
            f"  {r['threads']} thread(s): R step {r['reconstructorStepMs']:.0f} ms, D step {r['discriminatorStepMs']:.0f} ms, "
            f"combined {r['combinedStepMs']:.0f} ms, inference {r['inferenceMsPerImage']:.2f} ms/image"
        )
    print(f"  params: {results[0]['params']}")


if __name__ == "__main__":
    main()
