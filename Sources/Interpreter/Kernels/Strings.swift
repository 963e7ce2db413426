import Foundation
import ONNXIR

/// StringConcat (opset 20): elementwise concatenation with broadcasting.
final class StringConcatKernel: Kernel {
    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0), y = try Require.input(inputs, 1)
        guard let a = x.strings, let b = y.strings else { throw KernelFailure("StringConcat needs string inputs") }
        guard let shape = Broadcasting.shape([x.shape, y.shape]) else {
            throw KernelFailure("shapes \(x.shape) and \(y.shape) do not broadcast")
        }
        let left = try Broadcasting.expand(a, x.shape, to: shape), right = try Broadcasting.expand(b, y.shape, to: shape)
        return [context.strings(shape, zip(left, right).map { $0 + $1 })]
    }
}

/// StringSplit (opset 20): splits each string on `delimiter` (runs of whitespace when empty or
/// absent, as Python's str.split), at most `maxsplit` times; Y pads every row with "" to the
/// longest, Z gives each element's number of parts.
final class StringSplitKernel: Kernel {
    let delimiter: [UInt8]
    let maxSplit: Int?

    init(_ ctx: KernelBuildContext) throws {
        delimiter = Array(try ctx.string("delimiter", default: "").utf8)
        maxSplit = try ctx.int("maxsplit")
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard let strings = x.strings else { throw KernelFailure("StringSplit needs a string input") }
        let parts = strings.map(split)
        let width = parts.map(\.count).max() ?? 0
        var y: [[UInt8]] = []
        for p in parts { y += p + Array(repeating: [], count: width - p.count) }
        return [context.strings(x.shape + [width], y), RuntimeTensor.int64(x.shape, parts.map { Int64($0.count) })]
    }

    private func split(_ s: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var limit = maxSplit ?? Int.max
        if delimiter.isEmpty {
            // Whitespace runs separate; leading and trailing whitespace yield nothing.
            let isSpace = { (c: UInt8) in c == 32 || (9...13).contains(c) }
            var i = 0
            while i < s.count {
                while i < s.count && isSpace(s[i]) { i += 1 }
                if i == s.count { break }
                if limit == 0 {
                    var end = s.count
                    while end > i && isSpace(s[end - 1]) { end -= 1 }
                    parts.append(Array(s[i..<end]))
                    break
                }
                var j = i
                while j < s.count && !isSpace(s[j]) { j += 1 }
                parts.append(Array(s[i..<j]))
                limit -= 1
                i = j
            }
            return parts
        }
        var start = 0, i = 0
        while i + delimiter.count <= s.count && limit > 0 {
            if Array(s[i..<(i + delimiter.count)]) == delimiter {
                parts.append(Array(s[start..<i]))
                i += delimiter.count
                start = i
                limit -= 1
            } else {
                i += 1
            }
        }
        parts.append(Array(s[start...]))
        return parts
    }
}

/// StringNormalizer (opset 10): drops stopwords (compared case-insensitively unless
/// is_case_sensitive) from a [C] or [1, C] tensor, then lowers or uppers the case; an all-dropped
/// input gives one empty string.
final class StringNormalizerKernel: Kernel {
    enum CaseChange: String { case NONE, LOWER, UPPER }
    let caseChange: CaseChange
    let isCaseSensitive: Bool
    let stopwords: Set<String>

    init(_ ctx: KernelBuildContext) throws {
        let action = try ctx.string("case_change_action", default: "NONE")
        guard let c = CaseChange(rawValue: action) else { throw ctx.fail("unknown case_change_action '\(action)'") }
        caseChange = c
        isCaseSensitive = try ctx.int("is_case_sensitive", default: 0) != 0
        var words: [String] = []
        if let a = ctx.node.attribute("stopwords") {
            guard case .strings(let list) = a.value else { throw ctx.fail("attribute 'stopwords' must be a list of strings") }
            words = list.map { String(decoding: $0, as: UTF8.self) }
        }
        let sensitive = isCaseSensitive
        stopwords = Set(words.map { sensitive ? $0 : $0.lowercased() })
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard let strings = x.strings, x.rank == 1 || (x.rank == 2 && x.shape[0] == 1) else {
            throw KernelFailure("StringNormalizer needs a [C] or [1, C] string tensor, got \(x)")
        }
        var kept: [[UInt8]] = []
        for bytes in strings {
            let s = String(decoding: bytes, as: UTF8.self)
            if stopwords.contains(isCaseSensitive ? s : s.lowercased()) { continue }
            switch caseChange {
            case .NONE: kept.append(bytes)
            case .LOWER: kept.append(Array(s.lowercased().utf8))
            case .UPPER: kept.append(Array(s.uppercased().utf8))
            }
        }
        if kept.isEmpty { kept = [[]] }
        return [context.strings(x.rank == 1 ? [kept.count] : [1, kept.count], kept)]
    }
}

/// RegexFullMatch (opset 20): whether each whole string matches `pattern` (ICU syntax through
/// NSRegularExpression, which covers the RE2 subset the spec's examples use).
final class RegexFullMatchKernel: Kernel {
    let pattern: NSRegularExpression

    init(_ ctx: KernelBuildContext) throws {
        let text = try ctx.string("pattern", default: "")
        do { pattern = try NSRegularExpression(pattern: "^(?:\(text))$") } catch { throw ctx.fail("invalid pattern '\(text)': \(error)") }
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard let strings = x.strings else { throw KernelFailure("RegexFullMatch needs a string input") }
        let out = try context.allocate(.bool, x.shape)
        let p = out.raw.assumingMemoryBound(to: UInt8.self)
        for (i, bytes) in strings.enumerated() {
            let s = String(decoding: bytes, as: UTF8.self)
            p[i] = pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil ? 1 : 0
        }
        return [out]
    }
}

enum StringKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("StringConcat", since: 20) { _ in StringConcatKernel() },
        KernelDescriptor("StringSplit", since: 20) { try StringSplitKernel($0) },
        KernelDescriptor("StringNormalizer", since: 10) { try StringNormalizerKernel($0) },
        KernelDescriptor("RegexFullMatch", since: 20) { try RegexFullMatchKernel($0) },
    ]
}
