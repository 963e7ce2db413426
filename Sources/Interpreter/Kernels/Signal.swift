import Foundation
import ONNXIR

/// HannWindow, HammingWindow, BlackmanWindow (opset 17): a window of `size` samples in
/// `output_datatype`; `periodic` (default) divides by size, symmetric by size - 1.
final class WindowKernel: Kernel {
    enum Kind { case hann, hamming, blackman }
    let kind: Kind
    let isPeriodic: Bool
    let outputType: DataType

    init(_ ctx: KernelBuildContext, kind: Kind) throws {
        self.kind = kind
        isPeriodic = try ctx.int("periodic", default: 1) != 0
        let code = try ctx.int("output_datatype", default: 1)
        let t = DataType(rawValue: Int32(code))
        guard t.isKnown else { throw ctx.fail("unknown output_datatype \(code)") }
        outputType = t
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        guard let size = try Require.input(inputs, 0, "size").intValues().first, size >= 0 else {
            throw KernelFailure("size must be a non-negative scalar")
        }
        let n = Double(isPeriodic ? size : size - 1)
        let values: [Double] = (0..<size).map { i in
            let x = 2 * Double.pi * Double(i) / n
            switch kind {
            case .hann: return 0.5 - 0.5 * cos(x)
            case .hamming: return 25.0 / 46.0 - (21.0 / 46.0) * cos(x)
            case .blackman: return 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x)
            }
        }
        if outputType.isFloatingPoint { return [try FloatIO.make(outputType, [size], values, context)] }
        return [try CastKernel.convert(RuntimeTensor.float32([size], values.map(Float.init)), to: outputType, saturate: true, context)]
    }
}

/// A naive discrete Fourier transform of one complex sequence (O(n^2); the signal ops here are
/// rare and short): out[k] = sum_t x[t] e^(sign 2 pi i k t / n).
enum Fourier {
    static func transform(_ re: [Double], _ im: [Double], length n: Int, inverse: Bool) -> ([Double], [Double]) {
        var outRe = [Double](repeating: 0, count: n), outIm = outRe
        let sign: Double = inverse ? 1 : -1
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for t in 0..<min(n, re.count) {
                let angle = sign * 2 * Double.pi * Double((k * t) % n) / Double(n)
                let (c, s) = (cos(angle), sin(angle))
                sr += re[t] * c - im[t] * s
                si += re[t] * s + im[t] * c
            }
            outRe[k] = sr
            outIm[k] = si
        }
        return (outRe, outIm)
    }
}

/// DFT (opset 17: axis attribute; opset 20: axis input, default -2) over a signal whose last
/// axis holds 1 (real) or 2 (real, imaginary) components, zero-padded or truncated to
/// dft_length. `onesided` keeps bins 0...n/2 forward, or reads them as a Hermitian half for a
/// real inverse (irfft). The inverse divides by n.
final class DFTKernel: Kernel {
    let isInverse: Bool, isOnesided: Bool
    let attributeAxis: Int?

    init(_ ctx: KernelBuildContext) throws {
        isInverse = try ctx.int("inverse", default: 0) != 0
        isOnesided = try ctx.int("onesided", default: 0) != 0
        attributeAxis = ctx.opset < 20 ? try ctx.int("axis", default: 1) : nil
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank >= 2, let comps = x.shape.last, comps == 1 || comps == 2 else {
            throw KernelFailure("input \(x.shape) must end in 1 (real) or 2 (complex) components")
        }
        let axisInput = inputs.count > 2 ? inputs[2] : nil
        let rawAxis = try attributeAxis ?? axisInput?.intValues().first ?? -2
        let axis = try Axis.normalize(rawAxis, rank: x.rank)
        guard axis < x.rank - 1 else { throw KernelFailure("axis \(rawAxis) is the component axis") }
        let m = x.shape[axis]
        let given = try (inputs.count > 1 ? inputs[1] : nil)?.intValues().first
        let n = given ?? (isInverse && isOnesided ? 2 * (m - 1) : m)
        guard n > 0 else { throw KernelFailure("dft_length must be positive, got \(n)") }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)..<(x.rank - 1)].reduce(1, *)
        let bins = !isInverse && isOnesided ? n / 2 + 1 : n
        let outComps = isInverse && isOnesided ? 1 : 2
        var shape = x.shape
        shape[axis] = bins
        shape[x.rank - 1] = outComps
        let v = try FloatIO.doubles(x)
        var y = [Double](repeating: 0, count: outer * bins * inner * outComps)
        for o in 0..<outer {
            for i in 0..<inner {
                var re = [Double](repeating: 0, count: n), im = re
                let available = isInverse && isOnesided ? min(m, n / 2 + 1) : min(m, n)
                for t in 0..<available {
                    let base = ((o * m + t) * inner + i) * comps
                    re[t] = v[base]
                    im[t] = comps == 2 ? v[base + 1] : 0
                }
                if isInverse && isOnesided {
                    // Rebuild the full Hermitian spectrum; DC and Nyquist are real.
                    im[0] = 0
                    if n % 2 == 0 { im[n / 2] = 0 }
                    for k in (n / 2 + 1)..<max(n, n / 2 + 1) {
                        re[k] = re[n - k]
                        im[k] = -im[n - k]
                    }
                }
                let (fr, fi) = Fourier.transform(re, im, length: n, inverse: isInverse)
                let scale = isInverse ? 1 / Double(n) : 1
                for k in 0..<bins {
                    let base = ((o * bins + k) * inner + i) * outComps
                    y[base] = fr[k] * scale
                    if outComps == 2 { y[base + 1] = fi[k] * scale }
                }
            }
        }
        return [try FloatIO.make(x.dataType, shape, y, context)]
    }
}

/// STFT (opset 17): signal [batch, length, 1|2], frames of frame_length every frame_step,
/// multiplied by the window (ones without one), each transformed; output [batch, frames, bins, 2]
/// with bins = frame_length / 2 + 1 when `onesided` (the default).
final class STFTKernel: Kernel {
    let isOnesided: Bool

    init(_ ctx: KernelBuildContext) throws { isOnesided = try ctx.int("onesided", default: 1) != 0 }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "signal")
        guard x.rank == 3, x.shape[2] == 1 || x.shape[2] == 2 else {
            throw KernelFailure("signal \(x.shape) must be [batch, length, 1 or 2]")
        }
        guard let step = try Require.input(inputs, 1, "frame_step").intValues().first, step > 0 else {
            throw KernelFailure("frame_step must be a positive scalar")
        }
        let window = try (inputs.count > 2 ? inputs[2] : nil).map { try FloatIO.doubles($0) }
        let given = try (inputs.count > 3 ? inputs[3] : nil)?.intValues().first
        guard let frameLength = given ?? window?.count, frameLength > 0 else { throw KernelFailure("needs a window or frame_length") }
        if let window, window.count != frameLength {
            throw KernelFailure("window has \(window.count) values, frame_length is \(frameLength)")
        }
        let (batch, length, comps) = (x.shape[0], x.shape[1], x.shape[2])
        guard length >= frameLength else { throw KernelFailure("signal is shorter than one frame") }
        let frames = 1 + (length - frameLength) / step
        let bins = isOnesided ? frameLength / 2 + 1 : frameLength
        let v = try FloatIO.doubles(x)
        var y = [Double](repeating: 0, count: batch * frames * bins * 2)
        for b in 0..<batch {
            for f in 0..<frames {
                var re = [Double](repeating: 0, count: frameLength), im = re
                for t in 0..<frameLength {
                    let w = window?[t] ?? 1
                    let base = (b * length + f * step + t) * comps
                    re[t] = v[base] * w
                    im[t] = comps == 2 ? v[base + 1] * w : 0
                }
                let (fr, fi) = Fourier.transform(re, im, length: frameLength, inverse: false)
                for k in 0..<bins {
                    y[((b * frames + f) * bins + k) * 2] = fr[k]
                    y[((b * frames + f) * bins + k) * 2 + 1] = fi[k]
                }
            }
        }
        return [try FloatIO.make(x.dataType, [batch, frames, bins, 2], y, context)]
    }
}

/// MelWeightMatrix (opset 17): [dft_length / 2 + 1, num_mel_bins] triangular filters whose
/// edges are num_mel_bins + 2 points evenly spaced in mel (2595 log10(1 + f / 700)) between the
/// edge frequencies, mapped to bins floor((dft_length + 1) f / sample_rate); the mel step divides
/// by num_mel_bins + 2, as the reference computes it.
final class MelWeightMatrixKernel: Kernel {
    let outputType: DataType

    init(_ ctx: KernelBuildContext) throws {
        outputType = DataType(rawValue: Int32(try ctx.int("output_datatype", default: 1)))
        guard outputType.isKnown else { throw ctx.fail("unknown output_datatype") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        func scalar(_ i: Int, _ name: String) throws -> Double {
            guard let v = try FloatIO.doubles(try Require.input(inputs, i, name)).first else { throw KernelFailure("\(name) is empty") }
            return v
        }
        let melBins = Int(try scalar(0, "num_mel_bins")), dftLength = Int(try scalar(1, "dft_length"))
        let sampleRate = try scalar(2, "sample_rate"), lower = try scalar(3, "lower_edge_hertz"), upper = try scalar(4, "upper_edge_hertz")
        guard melBins > 0, dftLength > 0, sampleRate > 0 else {
            throw KernelFailure("num_mel_bins, dft_length and sample_rate must be positive")
        }
        let spectrogramBins = dftLength / 2 + 1
        let lowMel = 2595 * log1p(lower / 700) / log(10.0), highMel = 2595 * log1p(upper / 700) / log(10.0)
        let step = (highMel - lowMel) / Double(melBins + 2)
        let edges = (0..<(melBins + 2)).map { i -> Int in
            let hz = 700 * expm1((Double(i) * step + lowMel) / 2595 * log(10.0))
            return Int((Double(dftLength + 1) * hz / sampleRate).rounded(.down))
        }
        var y = [Double](repeating: 0, count: spectrogramBins * melBins)
        func set(_ j: Int, _ i: Int, _ v: Double) throws {
            guard j >= 0 && j < spectrogramBins else { throw KernelFailure("filter edge \(j) is outside the spectrogram") }
            y[j * melBins + i] = v
        }
        for i in 0..<melBins {
            let (low, center, high) = (edges[i], edges[i + 1], edges[i + 2])
            if center == low {
                try set(center, i, 1)
            } else {
                for j in low...max(low, center) { try set(j, i, Double(j - low) / Double(center - low)) }
            }
            if high > center { for j in center..<high { try set(j, i, Double(high - j) / Double(high - center)) } }
        }
        if outputType.isFloatingPoint { return [try FloatIO.make(outputType, [spectrogramBins, melBins], y, context)] }
        let wide = RuntimeTensor.float32([spectrogramBins, melBins], y.map(Float.init))
        return [try CastKernel.convert(wide, to: outputType, saturate: true, context)]
    }
}

enum SignalKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("MelWeightMatrix", since: 17) { try MelWeightMatrixKernel($0) },
        KernelDescriptor("DFT", since: 17) { try DFTKernel($0) },
        KernelDescriptor("STFT", since: 17) { try STFTKernel($0) },
        KernelDescriptor("HannWindow", since: 17) { try WindowKernel($0, kind: .hann) },
        KernelDescriptor("HammingWindow", since: 17) { try WindowKernel($0, kind: .hamming) },
        KernelDescriptor("BlackmanWindow", since: 17) { try WindowKernel($0, kind: .blackman) },
    ]
}
