#!/usr/bin/env python3
"""Independent reference numbers for the weights tests (Tests/CNNCCoreTests/Weights).

Prints the SplitMix64 and xoshiro256** outputs and the He-normal float32 bit patterns that
SeededRandomTests.swift expects, computed from Python transcriptions of the authors'
public-domain reference C code (Vigna, prng.di.unimi.it: splitmix64.c, xoshiro256starstar.c)
and Marsaglia's polar method with math.log. Needs only the standard library.

With --check FILE, also loads FILE with the reference `safetensors` package (pip install
safetensors numpy, in a throwaway venv) and prints every tensor: a check that files written by
SafeTensorsWriter load elsewhere. The Swift test suite does not depend on this script.
"""
import itertools
import math
import struct
import sys

MASK = (1 << 64) - 1


def splitmix64(state):
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro256starstar(state):
    s = list(state)
    while True:
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


def seeded(seed):
    return xoshiro256starstar(list(itertools.islice(splitmix64(seed), 4)))


def normals(seed):
    """Marsaglia's polar method; each accepted pair yields u·f, then v·f."""
    generator = seeded(seed)

    def uniform():
        return (next(generator) >> 11) * 2.0**-53

    while True:
        u, v = 2 * uniform() - 1, 2 * uniform() - 1
        s = u * u + v * v
        if 0 < s < 1:
            factor = math.sqrt(-2 * math.log(s) / s)
            yield u * factor
            yield v * factor


def he_normal(seed, count, fan_in):
    deviation = math.sqrt(2.0 / fan_in)
    return [z * deviation for z in itertools.islice(normals(seed), count)]


def float32_bits(value):
    return struct.unpack("<I", struct.pack("<f", value))[0]


def take(iterator, count):
    return list(itertools.islice(iterator, count))


def main():
    print("SplitMix64 seed 0:      ", take(splitmix64(0), 5))
    print("SplitMix64 seed 1234567:", take(splitmix64(1234567), 5))
    print("xoshiro256** state (1, 2, 3, 4):", take(xoshiro256starstar([1, 2, 3, 4]), 10))
    print("xoshiro256** seed 0:", take(seeded(0), 6))
    print("xoshiro256** seed 42:", take(seeded(42), 3))
    print("doubles seed 42:", [(x >> 11) * 2.0**-53 for x in take(seeded(42), 4)])
    print("normals seed 7:", take(normals(7), 6))
    print("heNormal seed 42, fan-in 9, float32 bits:",
          [hex(float32_bits(v)) for v in he_normal(42, 8, 9)])

    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        from safetensors import safe_open

        with safe_open(sys.argv[2], "np") as f:
            print("metadata:", f.metadata())
            for name in f.keys():
                tensor = f.get_tensor(name)
                print(repr(name), tensor.dtype, tensor.shape, tensor.ravel()[:4])


if __name__ == "__main__":
    main()
