"""examples/train.c in Python: a linear classifier (10 features, 32 samples, targets -1 and +1)
trained by full-batch gradient descent on the mean soft margin loss, with the loss as a
softmargin.SoftMarginLoss object in the shape of torch.nn.SoftMarginLoss.

    pip install ./python && python examples/train.py
"""

import sys

import numpy as np

import softmargin

FEATURES, SAMPLES, EPOCHS, LEARNING_RATE = 10, 32, 50, np.float32(0.5)


def main():
    rng = np.random.default_rng(2026)
    y = np.where(np.arange(SAMPLES) < SAMPLES // 2, 1.0, -1.0).astype(np.float32)
    # Class +1 centred at +0.5 in every feature, class -1 at -0.5; unit noise.
    x = (0.5 * y[:, None] + rng.standard_normal((SAMPLES, FEATURES))).astype(np.float32)
    if softmargin.check_target(y) is not None:
        sys.exit("targets must be -1 or +1")

    loss_fn = softmargin.SoftMarginLoss(reduction="mean")
    w, b = np.zeros(FEATURES, np.float32), np.float32(0.0)
    losses = []
    for epoch in range(EPOCHS):
        scores = x @ w + b
        loss, dscores = loss_fn.forward_backward(scores, y)
        losses.append(float(loss))
        if epoch % 5 == 0 or epoch == EPOCHS - 1:
            print(f"epoch {epoch:2d}  loss {loss:.6f}")
        # d loss / d w = x^T dscores; d loss / d b = sum(dscores).
        w -= LEARNING_RATE * (x.T @ dscores)
        b -= LEARNING_RATE * dscores.sum()

    correct = int(((x @ w + b > 0) == (y > 0)).sum())
    accuracy = correct / SAMPLES
    print(f"final loss {losses[-1]:.6f} (from {losses[0]:.6f}), "
          f"accuracy {accuracy:.4f} ({correct}/{SAMPLES})")
    rises = sum(later > earlier for earlier, later in zip(losses, losses[1:]))
    if rises or not losses[-1] < 0.5 * losses[0] or accuracy < 0.9:
        sys.exit(f"training did not converge: {rises} rises")


if __name__ == "__main__":
    main()
