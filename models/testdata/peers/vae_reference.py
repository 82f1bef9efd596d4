"""PyTorch twin of hiddendim's reference VAE (models.ReferenceVAE on 28x28x3), measured the way
../../../../shared/peers/torch_reference.py measures its nets, so that BenchmarkVAE can be read as a
ratio to PyTorch in the same hour. (The shared script has no VAE; this file adds one, same protocol.)

Set-up: Debian's python3-torch with every OpenBLAS alternative on the openmp variant (see the shared
script's header). Run:  /usr/bin/python3 models/testdata/peers/vae_reference.py [--threads 2] [--runs 5] [--steps 30]
Prints: RESULT net=vae impl=pytorch-<version> threads=2 median_sps=... peak_rss_mb=... blas=...

vae: input 28x28x3 in [0, 1]; encoder conv4x4 stride 2 pad 1 3->16 + ReLU, 16->32 + ReLU (7x7x32),
     dense 1568->128 + ReLU, two heads 128->10 (mu, log sigma^2); z = mu + exp(logvar/2)*eps with
     eps ~ N(0, I) drawn per step; decoder dense 10->128 + ReLU, 128->1568 + ReLU, reshape 32x7x7,
     transposed conv4x4 stride 2 pad 1 32->16 + ReLU, 16->3 -> logits; loss: the batch mean of the
     Bernoulli negative log-likelihood (BCE with logits, summed over pixels) + KL(q || N(0, I));
     Adam lr 1e-3; batch 64. Samples/s counts images.
"""
import argparse, os, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, latent=10, hidden=128):
        super().__init__()
        self.e1 = nn.Conv2d(3, 16, 4, stride=2, padding=1)
        self.e2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.lv = nn.Linear(hidden, latent)
        self.d1 = nn.Linear(latent, hidden)
        self.d2 = nn.Linear(hidden, 32 * 7 * 7)
        self.t1 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.t2 = nn.ConvTranspose2d(16, 3, 4, stride=2, padding=1)

    def forward(self, x, eps):
        h = F.relu(self.e2(F.relu(self.e1(x))))
        h = F.relu(self.fc(h.flatten(1)))
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.exp(lv / 2) * eps
        h = F.relu(self.d2(F.relu(self.d1(z)))).view(-1, 32, 7, 7)
        logits = self.t2(F.relu(self.t1(h)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mu * mu + lv.exp() - 1 - lv).sum(1)
        return (recon + kl).mean()


def blas_loaded():
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in path or "lapack" in path:
                found.add(os.path.basename(os.path.dirname(os.path.realpath(path))))
    return ",".join(sorted(found)) or "none"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warm", type=int, default=10)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = VAE()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    nb = 16
    xs = torch.rand(nb, a.batch, 3, 28, 28)
    state = {"i": 0}

    def step():
        i = state["i"] % nb
        state["i"] += 1
        opt.zero_grad()
        loss = net(xs[i], torch.randn(a.batch, 10))
        loss.backward()
        opt.step()

    for _ in range(a.warm):
        step()
    rates = []
    for _ in range(a.runs):
        t = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * a.batch / (time.perf_counter() - t))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT net=vae impl=pytorch-%s threads=%d median_sps=%.1f peak_rss_mb=%.1f blas=%s"
          % (torch.__version__, torch.get_num_threads(), statistics.median(rates), rss, blas_loaded()))


if __name__ == "__main__":
    main()
