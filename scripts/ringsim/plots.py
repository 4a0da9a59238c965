"""The study's three figures (PNG, matplotlib's Agg backend: no display needed)."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

FLOOR = 1e-7  # where a point without any loss is drawn on a log axis


def _loss(v):
    return max(v, FLOOR)


def loss_vs_ring(a, points, path):
    from matplotlib.lines import Line2D

    profiles = a.profiles
    fig, axes = plt.subplots(1, len(profiles), figsize=(5.2 * len(profiles), 4.6), sharey=True,
                             squeeze=False)
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(a.rhos)))
    for ax, pr in zip(axes[0], profiles):
        for c, rho in zip(colors, a.rhos):
            pts = sorted((p for p in points if p["profile"] == pr and p["rho"] == rho),
                         key=lambda p: p["ring_size"])
            if not pts:
                continue
            ks = [p["ring_size"] for p in pts]
            ax.plot(ks, [_loss(p["loss"]) for p in pts], "o-", color=c)
            ax.plot(ks, [_loss(p["sim_loss"]) for p in pts], "x--", color=c, alpha=0.8)
            ax.plot(ks, [_loss(p["quiet_sim_loss"]) for p in pts], "s:", color=c, alpha=0.8,
                    mfc="none")
            mdk = [p.get("mdk_loss") for p in pts]
            if all(m is not None for m in mdk):
                ax.plot(ks, [_loss(m) for m in mdk], "-", color=c, lw=0.8, alpha=0.5)
        ax.axhline(a.loss_target, color="red", lw=0.8, ls="-.")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 2, 1.5)
        ax.set_xlabel("RX ring size K (packets)")
        extra = f", B={a.burst}" if pr == "burst" else ""
        ax.set_title(f"{pr}{extra}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel(f"loss (drops / offered); none drawn at {FLOOR:g}")
    handles = [Line2D([], [], color=c, lw=2, label=f"rho {rho:g}") for c, rho in zip(colors, a.rhos)]
    handles += [Line2D([], [], color="k", marker="o", label="measured"),
                Line2D([], [], color="k", marker="x", ls="--", label="model (same run)"),
                Line2D([], [], color="k", marker="s", mfc="none", ls=":",
                       label="model, no preemption"),
                Line2D([], [], color="k", lw=0.8, alpha=0.5, label="M/D/1/(K+1) (poisson)"),
                Line2D([], [], color="red", lw=0.8, ls="-.", label=f"target {a.loss_target:g}")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)
    stall = f", stall {a.stall_us:g} us every {a.stall_every} polls" if a.stall_us else ""
    fig.suptitle(f"Loss vs RX ring size; probe cost {a.work_ns} ns/pkt extra{stall}", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def occupancy_cdf(a, points, hists, path):
    """Occupancy CDF at each poll, per ring size, at the highest load of each profile."""
    profiles = a.profiles
    rho = max(a.rhos)
    fig, axes = plt.subplots(1, len(profiles), figsize=(5.2 * len(profiles), 4.2), sharey=True,
                             squeeze=False)
    colors = plt.cm.plasma(np.linspace(0, 0.85, len(a.sizes)))
    for ax, pr in zip(axes[0], profiles):
        for c, K in zip(colors, a.sizes):
            if (pr, rho, K) not in hists:
                continue
            mh, sh = hists[(pr, rho, K)]
            for h, style, lab in ((mh, "-", "measured"), (sh, "--", "model")):
                # Polls that found at least one packet: the others (most) are all at 0.
                h = np.asarray(h, dtype=float)[1:]
                if h.sum() == 0:
                    continue
                cdf = np.cumsum(h) / h.sum()
                x = np.arange(1, len(h) + 1) / K
                ax.step(x, cdf, style, where="post", color=c,
                        label=f"K={K} {lab}" if style == "-" else None, alpha=0.9)
        ax.set_xlabel("occupancy at a poll / K")
        ax.set_xlim(-0.02, 1.02)
        ax.set_title(f"{pr}, rho {rho:g} (solid measured, dashed model)")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("fraction of polls that found >= 1 packet")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sojourn(a, points, path):
    profiles = a.profiles
    rho = max(a.rhos)
    fig, axes = plt.subplots(1, len(profiles), figsize=(5.2 * len(profiles), 4.2), sharey=True,
                             squeeze=False)
    for ax, pr in zip(axes[0], profiles):
        pts = sorted((p for p in points if p["profile"] == pr and p["rho"] == rho),
                     key=lambda p: p["ring_size"])
        ks = [p["ring_size"] for p in pts]
        for key, style, lab in (("sojourn_p50_us", "o-", "p50 measured"),
                                ("sojourn_p99_us", "s-", "p99 measured"),
                                ("sojourn_p999_us", "^-", "p99.9 measured"),
                                ("sim_sojourn_p99_us", "x--", "p99 model")):
            ax.plot(ks, [max(p[key], 1e-3) for p in pts], style, label=lab)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("RX ring size K (packets)")
        ax.set_title(f"{pr}, rho {rho:g}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("sojourn in the ring (us), arrival stamp to dequeue")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def all_plots(a, points, hists, out):
    loss_vs_ring(a, points, os.path.join(out, "loss_vs_ring.png"))
    occupancy_cdf(a, points, hists, os.path.join(out, "occupancy_cdf.png"))
    sojourn(a, points, os.path.join(out, "sojourn.png"))
