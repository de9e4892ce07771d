#!/usr/bin/env python3
"""bench/torch_peer.py: the models of bench/engine.c in PyTorch, one whole training step timed
the way bench/engine.c times phasor's (bench/peer.sh runs both, round by round).

A development check, never a runtime dependency of phasor: it needs PyTorch, phasor does not.

Each case builds the same architecture as phasor's model of that name (common/models/*.c; the
configs of bench/engine.c's cases[]), with the same trainable parameter count (--expect-params:
the count phasor-train printed for the same config; a different count is an error, exit 3), on
the same batch (the engine's uint8 pattern, [N, T, H, W, C] reordered to [N, C, T, H, W] and
scaled to [0, 1]; labels alternate 0, 1; one logit).  A timed step, as the engine's
train_step(): forward, BCE-with-logits (mean over the batch), backward, AdamW (lr 1e-3, betas
0.9/0.999, eps 1e-8, weight decay 0: phasor's ph_optim_default(), which phasor-train's
[train] weight_decay = 0 also gives), in float32, eager mode.  The optimiser is
torch.optim.AdamW with foreach and fused left at None, i.e. whatever PyTorch picks for CPU
tensors (printed as adamw=...).  Like the engine, every step (warm-up ones too) runs right after
a 2048^3 sgemm (torch.mm), so both sides start each step with the same cold caches.

Prints one line:
  #peer case=C shape=NxTxHxWxC params=P steps=K step_ms_med=.. step_ms_min=.. step_ms_max=.. adamw_ms_med=.. adamw=IMPL
usage: torch_peer.py --case CASE [--steps K] [--warmup W] [--threads N] [--channels-last]
                     [--expect-params P] [--count] [--no-sgemm]
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# bench/engine.c cases[]: name -> (model, config, N, T, H, W, C)
CASES = {
    "cnn3d-w16": ("cnn3d", dict(width=16), 8, 32, 32, 32, 3),
    "cnn3d-w32": ("cnn3d", dict(width=32), 16, 32, 32, 32, 3),
    "cnn3d-w16-bn": ("cnn3d", dict(width=16, blocks=1, norm="batch"), 8, 32, 32, 32, 3),
    "resnet18": ("resnet", dict(depth=18, width=64), 8, 1, 128, 128, 1),
    "resnet50": ("resnet", dict(depth=50, width=64), 8, 1, 128, 128, 1),
    "int": ("int", dict(channels=32, kernel=7), 4, 32, 32, 32, 3),
    "cvrnn": ("cvrnn", dict(channels=32, kernel=7), 4, 32, 32, 32, 3),
}


def he_init(m):
    """phasor's initialisation (cnn3d.md): convolutions He-normal (std sqrt(2 / fan-in)), the
    linear layer normal with std 1/sqrt(fan-in), biases 0, norm scales 1."""
    if isinstance(m, (nn.Conv2d, nn.Conv3d)):
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=1.0 / math.sqrt(m.in_features))
        nn.init.zeros_(m.bias)


# ---- the 3D CNN (common/models/cnn3d.c, resblock.c) ------------------------------------------


class Block3d(nn.Module):
    """R3D basic block (ph_resblock, nsp 3): conv-norm-act, conv-norm, identity sum, act."""

    def __init__(self, c, norm):
        super().__init__()
        self.c1 = nn.Conv3d(c, c, 3, padding=1, bias=not norm)
        self.n1 = nn.BatchNorm3d(c) if norm else nn.Identity()
        self.c2 = nn.Conv3d(c, c, 3, padding=1, bias=not norm)
        self.n2 = nn.BatchNorm3d(c) if norm else nn.Identity()

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)), inplace=True)
        return F.relu(self.n2(self.c2(h)) + x, inplace=True)


class CNN3D(nn.Module):
    """Strided 3x3x3 stages (stride (1,2,2), then (temporal_stride,2,2)), width doubling per
    stage, optional basic blocks after each stage's convolution, global average pool, linear."""

    def __init__(self, c_in, width, stages=3, blocks=0, temporal_stride=2, norm=None):
        super().__init__()
        layers, c = [], c_in
        for i in range(stages):
            o = width << i
            layers.append(nn.Conv3d(c, o, 3, stride=(1 if i == 0 else temporal_stride, 2, 2), padding=1,
                                    bias=not norm))
            if norm:
                layers.append(nn.BatchNorm3d(o))
            layers.append(nn.ReLU(inplace=True))
            layers += [Block3d(o, norm) for _ in range(blocks)]
            c = o
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 1)
        self.apply(he_init)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3, 4))).flatten()


# ---- the 2D ResNet (common/models/resnet.c, resblock.c): torchvision's v1.5 layout -------------


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, w, stride):
        super().__init__()
        self.c1, self.n1 = nn.Conv2d(cin, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w)
        self.c2, self.n2 = nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w)
        self.proj = None
        if stride != 1 or cin != w:
            self.proj = nn.Sequential(nn.Conv2d(cin, w, 1, stride, bias=False), nn.BatchNorm2d(w))

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)), inplace=True)
        h = self.n2(self.c2(h))
        return F.relu(h + (self.proj(x) if self.proj is not None else x), inplace=True)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, w, stride):
        super().__init__()
        self.c1, self.n1 = nn.Conv2d(cin, w, 1, bias=False), nn.BatchNorm2d(w)
        self.c2, self.n2 = nn.Conv2d(w, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w)
        self.c3, self.n3 = nn.Conv2d(w, 4 * w, 1, bias=False), nn.BatchNorm2d(4 * w)
        self.proj = None
        if stride != 1 or cin != 4 * w:
            self.proj = nn.Sequential(nn.Conv2d(cin, 4 * w, 1, stride, bias=False), nn.BatchNorm2d(4 * w))

    def forward(self, x):
        h = F.relu(self.n1(self.c1(x)), inplace=True)
        h = F.relu(self.n2(self.c2(h)), inplace=True)
        h = self.n3(self.c3(h))
        return F.relu(h + (self.proj(x) if self.proj is not None else x), inplace=True)


class ResNet(nn.Module):
    """stem = imagenet: 7x7/2 conv + BN + ReLU + 3x3/2 max pool; four stages (stride 2 on the
    first block of stages 2-4, on its 3x3 convolution); global average pool; linear."""

    def __init__(self, c_in, depth, width):
        super().__init__()
        nb = {10: [1, 1, 1, 1], 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[depth]
        blk = Bottleneck if depth >= 50 else Basic
        self.stem = nn.Sequential(nn.Conv2d(c_in, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        layers, c = [], width
        for i, n in enumerate(nb):
            for j in range(n):
                layers.append(blk(c, width << i, 2 if i > 0 and j == 0 else 1))
                c = (width << i) * blk.expansion
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 1)
        self.apply(he_init)

    def forward(self, x):
        return self.fc(self.layers(self.stem(x)).mean((2, 3))).flatten()


# ---- InT and the CV-RNN (common/models/int.c, cvrnn.c, eicell.c, goal_readout.c) -------------


def orthogonal_(w):
    """The weight as a [C_out, C_in k k] matrix with orthonormal rows (init.orthogonal_)."""
    with torch.no_grad():
        nn.init.orthogonal_(w.view(w.shape[0], -1))


class EICell(nn.Module):
    """InT's excitation/inhibition recurrence (eicell.c, docs/models/int.md): W_inh, W_exc k x k
    without bias; gates W_gi, U_gi, W_ge, U_ge 1x1 with bias -1; alpha, mu, kappa, gamma per
    channel; BN0, BN1 batch statistics always (track_running_stats=False), eps 1e-3, scale 0.1,
    each shared by all steps."""

    def __init__(self, c, k):
        super().__init__()
        self.w_inh = nn.Conv2d(c, c, k, padding=k // 2, bias=False)
        self.w_exc = nn.Conv2d(c, c, k, padding=k // 2, bias=False)
        self.w_gi, self.u_gi, self.w_ge, self.u_ge = (nn.Conv2d(c, c, 1) for _ in range(4))
        for conv in (self.w_inh, self.w_exc, self.w_gi, self.u_gi, self.w_ge, self.u_ge):
            orthogonal_(conv.weight)
        for conv in (self.w_gi, self.u_gi, self.w_ge, self.u_ge):
            nn.init.constant_(conv.bias, -1.0)
        self.alpha = nn.Parameter(torch.ones(1, c, 1, 1))
        self.mu = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.kappa = nn.Parameter(torch.ones(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.bn0 = nn.BatchNorm2d(c, eps=1e-3, track_running_stats=False)
        self.bn1 = nn.BatchNorm2d(c, eps=1e-3, track_running_stats=False)
        nn.init.constant_(self.bn0.weight, 0.1)
        nn.init.constant_(self.bn1.weight, 0.1)

    def step(self, att_pre, z_t, giw_t, e, i):
        """One frame: the attention from its pre-activation; returns the new (e, i)."""
        et = torch.sigmoid(att_pre) * e
        q = self.bn0(self.w_inh(et))
        ihat = F.softplus(z_t - F.softplus(q * (self.alpha * i + self.mu)))
        gi = torch.sigmoid(giw_t + self.u_gi(i))
        i_new = (1 - gi) * i + gi * ihat
        ge = torch.sigmoid(self.w_ge(i) + self.u_ge(et))  # the old i, as released
        ehat = F.softplus(self.bn1(self.w_exc(i_new)) * (self.kappa * i_new + self.gamma))
        return (1 - ge) * e + ge * ehat, i_new


class GoalReadout(nn.Module):
    """r = conv k x k (C -> 1, bias) of e_T, stacked with the blue channel of frame 0; 5x5
    convolution (2 -> 1, bias 0); global average pool; linear 1 -> 1."""

    def __init__(self, c, k):
        super().__init__()
        self.readout = nn.Conv2d(c, 1, k, padding=k // 2)
        self.target = nn.Conv2d(2, 1, 5, padding=2)
        nn.init.zeros_(self.readout.bias)
        nn.init.zeros_(self.target.bias)
        self.fc = nn.Linear(1, 1)

    def forward(self, e, goal):
        t = self.target(torch.cat((self.readout(e), goal), 1))
        return self.fc(t.mean((2, 3))).flatten()


def frames(x):
    """[N, 3, T, H, W] -> [T N, 3, H, W] (frame-major, as ph_frames_split)."""
    n, c, t, h, w = x.shape
    return x.permute(2, 0, 1, 3, 4).reshape(t * n, c, h, w)


class InT(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.pre = nn.Conv2d(3, c, 1)
        self.w_a, self.u_a = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1)
        orthogonal_(self.w_a.weight), orthogonal_(self.u_a.weight)
        nn.init.constant_(self.w_a.bias, 1.0), nn.init.constant_(self.u_a.bias, 1.0)
        nn.init.zeros_(self.pre.bias)
        self.cell = EICell(c, k)
        self.out = GoalReadout(c, 1)

    def forward(self, x):
        n, _, t_len, h, w = x.shape
        xf = frames(x)
        z = F.softplus(self.pre(xf))
        # the parts that do not depend on the state: all frames at once, then unbound per frame
        # (unbind: one gradient buffer for all frames, where indexing would fill one per frame)
        aw = self.w_a(z).view(t_len, n, -1, h, w).unbind(0)
        giw = self.cell.w_gi(z).view(t_len, n, -1, h, w).unbind(0)
        z = z.view(t_len, n, -1, h, w).unbind(0)
        e = torch.zeros_like(z[0])
        i = torch.zeros_like(z[0])
        for t in range(t_len):
            e, i = self.cell.step(aw[t] + self.u_a(e), z[t], giw[t], e, i)
        return self.out(e, xf[:n, 2:3])


# Complex values as (re, im) pairs of real tensors, as phasor's [re | im] planes.
STABLE_EPS = 1e-7


class CAbs(torch.autograd.Function):
    """|re + i im| (torch.hypot), with the gradient 0 where it is 0 (as phasor's
    cplx_magphase_backward; hypot's own gradient there is NaN, and ReLU-clamped complex values
    are exactly 0)."""

    @staticmethod
    def forward(ctx, re, im):
        m = torch.hypot(re, im)
        ctx.save_for_backward(re, im, m)
        return m

    @staticmethod
    def backward(ctx, g):
        re, im, m = ctx.saved_tensors
        s = torch.where(m > 0, g / m, 0.0)
        return s * re, s * im


def c_abs(z):
    return CAbs.apply(z[0], z[1])


def c_angle(z):
    """The original's stable angle: components within 1e-7 of zero become +1e-7 (no gradient)."""
    re, im = z
    re = torch.where(re.abs() < STABLE_EPS, STABLE_EPS, re)
    im = torch.where(im.abs() < STABLE_EPS, STABLE_EPS, im)
    return torch.atan2(im, re)


def c_polar(m, phase):
    return m * torch.cos(phase), m * torch.sin(phase)


def c_add(a, b):
    return a[0] + b[0], a[1] + b[1]


def c_conv(conv, z):
    """One real kernel on both planes: a convolution of batch 2 N."""
    return conv(torch.cat(z)).chunk(2)


class InstanceNorm(nn.Module):
    """Affine instance norm, eps 1e-5, per sample and channel; no running statistics."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=1e-5)


class CVRNN(nn.Module):
    """The CV-RNN (docs/models/cvrnn.md) with mag_act = relu, without the synchrony loss
    (sync_weight = 0): the phase maps are computed and take no gradient."""

    def __init__(self, c, k):
        super().__init__()
        conv = lambda i, o, bias=False: nn.Conv2d(i, o, 3, padding=1, bias=bias)  # noqa: E731
        self.pre = conv(3, c, True)
        nn.init.zeros_(self.pre.bias)
        self.fr, self.fi, self.ur, self.ui = conv(c, c), conv(c, c), conv(c, c), conv(c, c)
        self.cp, self.ch, self.cd = conv(3, c), conv(c, c), conv(c, 1)
        self.in_f, self.in_p, self.in_u = InstanceNorm(c), InstanceNorm(c), InstanceNorm(c)
        self.in_h, self.in_d, self.in_a = InstanceNorm(c), InstanceNorm(1), InstanceNorm(c)
        self.cell = EICell(c, k)
        self.out = GoalReadout(c, 3)

    def forward(self, x):
        n, _, t_len, h, w = x.shape
        xf = frames(x)
        z = F.softplus(self.pre(xf))
        # the feed-forward drive f_t of every frame: RtoC_w
        fpsi = self.fr(z), self.fi(z)
        f = c_polar(F.relu(self.in_f(c_abs(fpsi))), c_angle(fpsi))
        f = f[0].view(t_len, n, -1, h, w).unbind(0), f[1].view(t_len, n, -1, h, w).unbind(0)
        # c_0 = CC_p(x_0 e^{i phi_0}), phi_0 uniform in [-pi, pi); |x_0 e^{i phi}| = x_0
        x0 = xf[:n]
        phi = (torch.rand_like(x0) * 2 - 1) * math.pi
        ppsi = c_conv(self.cp, c_polar(x0, phi))
        c = c_polar(F.relu(self.in_p(0.5 * c_abs(ppsi) + 0.5 * self.cp(x0))), c_angle(ppsi))
        giw = self.cell.w_gi(z).view(t_len, n, -1, h, w).unbind(0)
        z = z.view(t_len, n, -1, h, w).unbind(0)
        e = torch.zeros_like(z[0])
        i = torch.zeros_like(z[0])
        thetas = []
        for t in range(t_len):
            ft = f[0][t], f[1][t]
            upsi = self.ur(e), self.ui(e)
            au = c_polar(F.relu(self.in_u(c_abs(upsi))), c_angle(upsi))
            s = c_add(ft, c)
            hpsi = c_conv(self.ch, s)
            h_abs = F.relu(self.in_h(0.5 * c_abs(hpsi) + 0.5 * self.ch(c_abs(s))))
            hc = c_polar(h_abs, c_angle(hpsi))
            dpsi = c_conv(self.cd, hc)
            dd = c_polar(F.relu(self.in_d(0.5 * c_abs(dpsi) + 0.5 * self.cd(h_abs))), c_angle(dpsi))
            thetas.append(c_angle(dd))  # the phase map (only the synchrony loss reads it)
            c = hc
            e, i = self.cell.step(self.in_a(c_abs(c_add(c_add(au, ft), hc))), z[t], giw[t], e, i)
        self.thetas = thetas
        return self.out(e, xf[:n, 2:3])


# ---- the step -------------------------------------------------------------------------------


def build(case):
    model, cfg, n, t, h, w, c = CASES[case]
    if model == "cnn3d":
        return CNN3D(c, cfg["width"], blocks=cfg.get("blocks", 0), norm=cfg.get("norm"))
    if model == "resnet":
        return ResNet(c, cfg["depth"], cfg["width"])
    if model == "int":
        return InT(cfg["channels"], cfg["kernel"])
    return CVRNN(cfg["channels"], cfg["kernel"])


def batch(case):
    """bench/engine.c's batch: byte i = (i * 2654435761 >> 27) mod 256 of [N, T, H, W, C], reordered
    to [N, C, T, H, W] and scaled by 1/255 (ph_model_load); images drop T."""
    model, _, n, t, h, w, c = CASES[case]
    i = torch.arange(n * t * h * w * c, dtype=torch.int64)
    u8 = ((i * 2654435761) >> 27) & 255
    x = u8.view(n, t, h, w, c).permute(0, 4, 1, 2, 3).float().div(255.0).contiguous()
    if model == "resnet":
        x = x[:, :, 0].contiguous()
    y = (torch.arange(n) % 2).float()
    return x, y


def adamw_impl(opt):
    """Which AdamW implementation PyTorch runs for these parameters."""
    g = opt.param_groups[0]
    if g.get("fused"):
        return "fused"
    if g.get("foreach"):
        return "foreach"
    if g.get("foreach") is None and g.get("fused") is None:
        from torch.optim.optimizer import _default_to_fused_or_foreach
        fused, foreach = _default_to_fused_or_foreach(g["params"], differentiable=False, use_fused=False)
        return "fused" if fused else "foreach" if foreach else "single-tensor (for-loop)"
    return "single-tensor (for-loop)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--steps", type=int, default=3, help="timed steps (median, min, max)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true", help="channels_last(_3d) memory format (cnn3d, resnet)")
    ap.add_argument("--bf16", action="store_true",
                    help="forward and loss under torch.autocast('cpu', dtype=torch.bfloat16) (fp32 weights)")
    ap.add_argument("--expect-params", type=int, default=None, help="phasor's trainable parameter count")
    ap.add_argument("--count", action="store_true", help="print the trainable parameter count and exit")
    ap.add_argument("--no-sgemm", action="store_true", help="no 2048^3 sgemm before each step")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = build(a.case)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if a.count:
        print(f"#peer case={a.case} params={params}")
        return 0
    if a.expect_params is not None and params != a.expect_params:
        print(f"torch_peer.py: {a.case}: PyTorch's model has {params} trainable parameters, phasor's "
              f"{a.expect_params}: not the same model", file=sys.stderr)
        return 3
    x, y = batch(a.case)
    if a.channels_last:
        if CASES[a.case][0] not in ("cnn3d", "resnet"):
            print(f"torch_peer.py: --channels-last is for cnn3d and resnet, not {a.case}", file=sys.stderr)
            return 2
        fmt = torch.channels_last_3d if x.dim() == 5 else torch.channels_last
        model = model.to(memory_format=fmt)
        x = x.contiguous(memory_format=fmt)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ga = torch.full((2048, 2048), 0.1)  # made once and kept, as the engine's (no allocation per sgemm)
    gb = torch.full((2048, 2048), 0.2)
    gc = torch.empty(2048, 2048)
    step_t, opt_t = [], []
    for r in range(-a.warmup, a.steps):
        if not a.no_sgemm:
            torch.mm(ga, gb, out=gc)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            loss = F.binary_cross_entropy_with_logits(model(x).float(), y)
        loss.backward()
        t1 = time.perf_counter()
        opt.step()
        t2 = time.perf_counter()
        if not math.isfinite(loss.item()):
            print(f"torch_peer.py: {a.case}: loss {loss.item()}", file=sys.stderr)
            return 1
        if r >= 0:
            step_t.append(1e3 * (t2 - t0))
            opt_t.append(1e3 * (t2 - t1))
    shape = "x".join(str(v) for v in CASES[a.case][2:])
    print(f"#peer case={a.case} shape={shape} params={params} steps={a.steps} step_ms_med={statistics.median(step_t):.3f} "
          f"step_ms_min={min(step_t):.3f} step_ms_max={max(step_t):.3f} adamw_ms_med={statistics.median(opt_t):.3f} "
          f"adamw={adamw_impl(opt).replace(' ', '_')} torch={torch.__version__} threads={torch.get_num_threads()}"
          f"{' channels_last' if a.channels_last else ''}{' bf16' if a.bf16 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
