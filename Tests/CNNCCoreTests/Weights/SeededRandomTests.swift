import Foundation
import Testing
@testable import CNNCCore

// Where the expected numbers come from: each was computed by a Python transcription of the
// authors' public-domain reference C code (Vigna, prng.di.unimi.it: `splitmix64.c` and
// `xoshiro256starstar.c`), run independently of this Swift code. The SplitMix64 outputs for seed
// 1234567 are also the widely published ones, and the xoshiro256** outputs for state (1, 2, 3, 4)
// are the test vector of the Rust `rand_xoshiro` crate. `tools/weights_reference.py` reproduces them.

@Suite struct SplitMix64Tests {
    @Test func firstOutputsForSeedZero() {
        var generator = SplitMix64(state: 0)
        let outputs = (0..<5).map { _ in generator.next() }
        #expect(outputs == [
            16_294_208_416_658_607_535, 7_960_286_522_194_355_700, 487_617_019_471_545_679,
            17_909_611_376_780_542_444, 1_961_750_202_426_094_747,
        ])
        #expect(outputs[0] == 0xE220_A839_7B1D_CDAF)
    }

    @Test func firstOutputsForSeed1234567() {
        var generator = SplitMix64(state: 1_234_567)
        let outputs = (0..<5).map { _ in generator.next() }
        #expect(outputs == [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ])
    }
}

@Suite struct Xoshiro256StarStarTests {
    @Test func referenceVectorFromState1234() {
        var generator = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let outputs = (0..<10).map { _ in generator.next() }
        #expect(outputs == [
            11520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360,
            607_988_272_756_665_600, 16_172_922_978_634_559_625, 8_476_171_486_693_032_832,
            10_595_114_339_597_558_777, 2_904_607_092_377_533_576,
        ])
    }

    @Test func seedingExpandsTheSeedWithSplitMix64() {
        // Seed 0: state = SplitMix64(0)'s first four outputs.
        var fromSeed = Xoshiro256StarStar(seed: 0)
        var fromState = Xoshiro256StarStar(state: (0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC))
        let expected: [UInt64] = [
            11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768,
            7_684_712_102_626_143_532, 13_521_403_990_117_723_737, 18_442_103_541_295_991_498,
        ]
        #expect((0..<6).map { _ in fromSeed.next() } == expected)
        #expect((0..<6).map { _ in fromState.next() } == expected)

        var seed42 = Xoshiro256StarStar(seed: 42)
        #expect((0..<3).map { _ in seed42.next() } == [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
    }

    @Test func doublesAreTheTop53BitsScaled() {
        var generator = Xoshiro256StarStar(seed: 42)
        let doubles = (0..<4).map { _ in generator.nextDouble() }
        #expect(doubles == [0.08386297105988216, 0.3789802506626686, 0.6800434110281394, 0.9246929453253876])

        var raw = Xoshiro256StarStar(seed: 99)
        var scaled = Xoshiro256StarStar(seed: 99)
        for _ in 0..<1000 {
            let value = scaled.nextDouble()
            #expect(value == Double(raw.next() >> 11) / 9_007_199_254_740_992)
            #expect(value >= 0 && value < 1)
        }
    }

    @Test func sameSeedSameSequenceDifferentSeedDifferentSequence() {
        var first = Xoshiro256StarStar(seed: 2024)
        var second = Xoshiro256StarStar(seed: 2024)
        var other = Xoshiro256StarStar(seed: 2025)
        let a = (0..<1000).map { _ in first.next() }
        let b = (0..<1000).map { _ in second.next() }
        let c = (0..<1000).map { _ in other.next() }
        #expect(a == b)
        #expect(a != c)
    }
}

@Suite struct PortableLogTests {
    /// Relative difference, with 0 when both are 0.
    func relativeError(_ value: Double, _ reference: Double) -> Double {
        reference == 0 ? abs(value) : abs(value - reference) / abs(reference)
    }

    @Test func agreesWithTheCLibraryAcrossTheWholeRange() {
        var worst = 0.0
        var worstInput = 0.0
        func check(_ x: Double) {
            let error = relativeError(PortableMath.naturalLog(x), Foundation.log(x))
            if error > worst { (worst, worstInput) = (error, x) }
        }
        // Every binade from the smallest subnormal to the largest double, 64 points in each.
        for exponent in -1074...1023 {
            for step in 0..<64 {
                check(Double(sign: .plus, exponent: exponent, significand: 1 + Double(step) / 64))
            }
        }
        // Around 1, where ln x → 0 and a careless formula loses all relative accuracy.
        for step in 1...2000 {
            check(1 + Double(step) * 0x1p-52)
            check(1 - Double(step) * 0x1p-53)
            check(1 + Double(step) * 1e-6)
            check(1 - Double(step) * 1e-6)
        }
        // The polar method's inputs: uniform in (0, 1).
        var generator = Xoshiro256StarStar(seed: 5)
        for _ in 0..<100_000 {
            let x = generator.nextDouble()
            if x > 0 { check(x) }
        }
        check(.leastNonzeroMagnitude)
        check(.greatestFiniteMagnitude)
        check(Double.leastNormalMagnitude)
        check(1.4142135623730951)
        check(1.4142135623730951.nextUp)
        check(0.7071067811865476)
        #expect(worst <= 1e-14, "worst relative error \(worst) at \(worstInput)")
        // In practice it is within a few ulps; a sudden loss of accuracy should show here first.
        #expect(worst <= 1e-15, "worst relative error \(worst) at \(worstInput)")
    }

    @Test func specialValues() {
        #expect(PortableMath.naturalLog(1) == 0)
        #expect(PortableMath.naturalLog(0) == -.infinity)
        #expect(PortableMath.naturalLog(-0.0) == -.infinity)
        #expect(PortableMath.naturalLog(-1).isNaN)
        #expect(PortableMath.naturalLog(.nan).isNaN)
        #expect(PortableMath.naturalLog(.infinity) == .infinity)
        #expect(PortableMath.naturalLog(-.infinity).isNaN)
        #expect(abs(PortableMath.naturalLog(2) - 0.6931471805599453) <= 1e-16)
        #expect(abs(PortableMath.naturalLog(.leastNonzeroMagnitude) - -744.4400719213812) <= 1e-12)
    }
}

@Suite struct NormalDistributionTests {
    @Test func firstNormalsMatchTheReferenceAlgorithm() {
        // Marsaglia polar method over xoshiro256** seed 7, computed in Python with math.log.
        var generator = Xoshiro256StarStar(seed: 7)
        let expected = [0.9643618527255184, -1.0637531974798475, -0.3039301238656567, -1.0989693210013467, 0.30479435832638674, 1.7083194561947417]
        for value in expected {
            let normal = generator.nextNormal()
            #expect(abs(normal - value) <= 1e-14 * abs(value), "\(normal) vs \(value)")
        }
    }

    @Test func hundredThousandNormalsHaveMeanZeroAndVarianceOne() {
        var generator = Xoshiro256StarStar(seed: 12345)
        let count = 100_000
        let samples = (0..<count).map { _ in generator.nextNormal() }
        let mean = samples.reduce(0, +) / Double(count)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        let withinOne = Double(samples.filter { abs($0) < 1 }.count) / Double(count)
        let withinTwo = Double(samples.filter { abs($0) < 2 }.count) / Double(count)
        // Five standard errors: σ/√n for the mean, √(2/n) for the variance, √(p(1−p)/n) for a
        // proportion. A correct generator fails one of these about once in a million seeds.
        let n = Double(count)
        #expect(abs(mean) < 5 / n.squareRoot(), "mean \(mean)")
        #expect(abs(variance - 1) < 5 * (2 / n).squareRoot(), "variance \(variance)")
        #expect(abs(withinOne - 0.682_689_49) < 5 * (0.6827 * 0.3173 / n).squareRoot(), "P(|z|<1) = \(withinOne)")
        #expect(abs(withinTwo - 0.954_499_74) < 5 * (0.9545 * 0.0455 / n).squareRoot(), "P(|z|<2) = \(withinTwo)")
        #expect(samples.allSatisfy { $0.isFinite })
    }

    @Test func heNormalHasTheRequestedSpread() {
        var generator = Xoshiro256StarStar(seed: 3)
        let fanIn = 50
        let values = heNormal(count: 100_000, fanIn: fanIn, rng: &generator)
        #expect(values.count == 100_000)
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count - 1)
        let expectedVariance = 2.0 / Double(fanIn)
        #expect(abs(mean) < 5 * expectedVariance.squareRoot() / Double(values.count).squareRoot())
        #expect(abs(variance / expectedVariance - 1) < 5 * (2.0 / Double(values.count)).squareRoot())
        #expect(heNormal(count: 0, fanIn: 1, rng: &generator).isEmpty)
    }

    @Test func heNormalBitsAreFixed() {
        // The float32 bit patterns every machine must produce for seed 42, fan-in 9; the same
        // numbers come from a Python transcription using math.log (see the note at the top).
        var generator = Xoshiro256StarStar(seed: 42)
        let values = heNormal(count: 8, fanIn: 9, rng: &generator)
        #expect(values.map(\.bitPattern) == [
            0xBEAF_4794, 0xBDCB_E5AF, 0x3DD5_F66F, 0x3E7C_59F7, 0x3E60_111D, 0x3EB2_D78E, 0x3F32_2734, 0x3E63_3E77,
        ])
    }

    @Test func sameSeedGivesIdenticalArrays() {
        var first = Xoshiro256StarStar(seed: 77)
        var second = Xoshiro256StarStar(seed: 77)
        let a = heNormal(count: 10_000, fanIn: 27, rng: &first)
        let b = heNormal(count: 10_000, fanIn: 27, rng: &second)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        var other = Xoshiro256StarStar(seed: 78)
        #expect(heNormal(count: 10_000, fanIn: 27, rng: &other).map(\.bitPattern) != a.map(\.bitPattern))
    }
}
