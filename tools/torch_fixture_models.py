"""PyTorch modules shared by the PyTorch fixture scripts.

Used by tools/train_digits.py, tools/make_onnx_fixtures.py and tools/make_state_dict_fixtures.py
(see their docstrings for the commands and the versions). Nothing in the build or the test suite
imports this file: CI has no PyTorch; only the files those scripts wrote are committed and used.

Every module's attribute names are chosen so that its state-dict keys are the layer names of a
cnnc spec written in today's language (docs/spec.md), e.g. `ResNet20` gives exactly the names of
models/resnet_cifar.yaml and `UNetSmall` those of models/unet_small.yaml.

`seeded(builder, seed)` builds a module with its parameters drawn after `torch.manual_seed(seed)`
and then gives every BatchNorm non-trivial affine parameters and running statistics, so a fixture
exercises the whole inference formula rather than an identity.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


# --- digits (trained by tools/train_digits.py) -------------------------------------------------

class DigitsNet(nn.Module):
    """A small CNN for scikit-learn's 8×8 digits: 1×8×8 → 10 class probabilities.

    conv 3×3 (16) + BN + ReLU, conv 3×3 (32) + BN + ReLU, max-pool 2, conv 3×3 (32) + ReLU,
    global average pool, dense 10, softmax. `logits(x)` is what training optimises;
    `forward(x)` ends with the softmax, as models/digits.yaml does.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(32, 10)
        self.softmax = nn.Softmax(dim=1)

    def logits(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.pool(x)
        x = self.relu3(self.conv3(x))
        x = self.flatten(self.avgpool(x))
        return self.fc(x)

    def forward(self, x):
        return self.softmax(self.logits(x))


# --- the MNIST-style Sequential (ONNX fixtures and the `sequential` state dict) -------------------

def mnist_sequential():
    """nn.Sequential for 1×28×28: state-dict keys 0.*, 3.*, 4.* (BN), 8.*, 11.*."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),      # 0
        nn.ReLU(),                           # 1
        nn.MaxPool2d(2),                     # 2: 14×14
        nn.Conv2d(16, 32, 3, padding=1),     # 3
        nn.BatchNorm2d(32),                  # 4
        nn.ReLU(),                           # 5
        nn.MaxPool2d(2),                     # 6: 7×7
        nn.Flatten(),                        # 7: 1568
        nn.Linear(32 * 7 * 7, 64),           # 8
        nn.ReLU(),                           # 9
        nn.Dropout(0.5),                     # 10
        nn.Linear(64, 10),                   # 11
    )


class NamedNet(nn.Module):
    """Named attributes: features.0.weight, features.1.running_mean, classifier.weight, ..."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),   # features.0
            nn.BatchNorm2d(8),               # features.1
            nn.ReLU(),                       # features.2
            nn.MaxPool2d(2),                 # features.3: 8×8
            nn.Conv2d(8, 16, 3, padding=1),  # features.4
            nn.ReLU(),                       # features.5
            nn.AdaptiveAvgPool2d(1),         # features.6
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(16, 5)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


# --- ResNet-20 for CIFAR (names as models/resnet_cifar.yaml) ---------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != cout:
            # Option B: a strided 1×1 projection with batchnorm.
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + shortcut)


class ResNet20(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(*[BasicBlock(16, 16, 1) for _ in range(3)])
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1), BasicBlock(32, 32, 1))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64, 1), BasicBlock(64, 64, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


# --- a small U-Net (names as models/unet_small.yaml) ----------------------------------------------

class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class UpConv(nn.Module):
    """Bilinear ×2 (align_corners=False), then a 3×3 convolution: state-dict keys up1.conv.*."""

    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv(self.up(x)))


class UNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = DoubleConv(1, 16)
        self.pool1 = nn.MaxPool2d(2)
        self.enc2 = DoubleConv(16, 32)
        self.pool2 = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(32, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, kernel_size=2, stride=2)
        self.dec2 = DoubleConv(64, 32)
        self.up1 = UpConv(32, 16)
        self.dec1 = DoubleConv(32, 16)
        self.head = nn.Conv2d(16, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool1(e1))
        b = self.bottleneck(self.pool2(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return torch.sigmoid(self.head(d1))


# --- single-pattern modules ------------------------------------------------------------------------

class CircularPad(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular")

    def forward(self, x):
        return self.conv(x)


class ReflectPad(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect")

    def forward(self, x):
        return self.conv(x)


class CeilPool(nn.Module):
    """3×16×16 → max 3/2 ceil (8×8; floor would give 7×7) → avg 3/2 pad 1 ceil, padding excluded (5×5)."""

    def __init__(self):
        super().__init__()
        self.maxpool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.avgpool = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False)

    def forward(self, x):
        return self.avgpool(self.maxpool(x))


class FlattenView(nn.Module):
    """x.view(x.size(0), -1) before a Linear: the classic hand-written flatten."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = x.view(x.size(0), -1)
        return self.fc(x)


class HardtanhRelu6(nn.Module):
    """nn.ReLU6 and nn.Hardtanh(0, 6), which are the same function (cnnc's relu6)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.relu6 = nn.ReLU6()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.hardtanh = nn.Hardtanh(0.0, 6.0)

    def forward(self, x):
        return self.hardtanh(self.conv2(self.relu6(self.conv1(x))))


class SiluGelu(nn.Module):
    """nn.SiLU, then nn.GELU() (the exact erf form, approximate='none')."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.silu = nn.SiLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.gelu = nn.GELU()

    def forward(self, x):
        return self.gelu(self.conv2(self.silu(self.conv1(x))))


class SoftmaxFlat(nn.Module):
    """[N, 32] → Linear → softmax over dim=1 of an [N, 10] tensor."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return torch.softmax(self.fc(x), dim=1)


class SoftmaxSpatial(nn.Module):
    """softmax over the channels (dim=1) of an [N, C, H, W] tensor: cnnc's per-position softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 3, padding=1)

    def forward(self, x):
        return torch.softmax(self.conv(x), dim=1)


class SEBlock(nn.Module):
    """Squeeze-and-excitation: x · sigmoid(conv1×1(relu(conv1×1(avgpool(x)))))."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(16, 4, 1)
        self.expand = nn.Conv2d(4, 16, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        x = self.relu(self.conv(x))
        s = self.gate(self.expand(F.relu(self.reduce(self.pool(x)))))
        return x * s


class LinearNoBias(nn.Module):
    """Flatten 4×4×4 → Linear(64, 10, bias=False)."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10, bias=False)

    def forward(self, x):
        return self.fc(self.flatten(x))


class Tiny(nn.Module):
    """The tiny module of the checkpoint fixtures (checkpoint.pt, legacy.pth): a few KB."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# --- seeded construction -----------------------------------------------------------------------------

def randomize_batchnorm(module, generator, num_batches_tracked=1000):
    """Gives every BatchNorm2d non-trivial values: weight, running_var in [0.5, 1.5), bias,
    running_mean in [-0.5, 0.5), and a plausible num_batches_tracked."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                m.bias.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_mean.copy_(torch.rand(c, generator=generator) - 0.5)
                m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                m.num_batches_tracked.fill_(num_batches_tracked)
    return module


def seeded(builder, seed):
    """builder() after torch.manual_seed(seed), BatchNorms randomised, in eval mode."""
    torch.manual_seed(seed)
    module = builder()
    randomize_batchnorm(module, torch.Generator().manual_seed(seed + 1))
    return module.eval()
