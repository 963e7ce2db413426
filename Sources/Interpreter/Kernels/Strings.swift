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

/// TfIdfVectorizer (opset 9): counts the pooled n-grams (min_gram_length...max_gram_length
/// items taken every skip + 1 positions, skip up to max_skip_count; unigrams once) of each row
/// of a [C] or [N, C] int or string tensor into Y[ngram_indexes[i]] for the i-th pooled n-gram.
/// TF gives counts, IDF min(count, 1) * weight, TFIDF count * weight.
final class TfIdfVectorizerKernel: Kernel {
    enum Item: Hashable {
        case int(Int64)
        case string([UInt8])
    }
    enum Mode: String { case TF, IDF, TFIDF }
    let mode: Mode
    let minGram: Int, maxGram: Int, maxSkip: Int
    /// Pooled n-grams by length: n-gram -> its index in pool order.
    let pool: [Int: [[Item]: Int]]
    let indexes: [Int]
    let weights: [Double]
    let outputSize: Int

    init(_ ctx: KernelBuildContext) throws {
        let m = try ctx.string("mode", default: "TF")
        guard let mode = Mode(rawValue: m) else { throw ctx.fail("unknown mode '\(m)'") }
        self.mode = mode
        minGram = try ctx.int("min_gram_length", default: 1)
        maxGram = try ctx.int("max_gram_length", default: 1)
        maxSkip = try ctx.int("max_skip_count", default: 0)
        guard minGram >= 1, maxGram >= minGram, maxSkip >= 0 else { throw ctx.fail("invalid gram lengths or skip count") }
        let items: [Item]
        if let ints = try ctx.ints("pool_int64s") {
            items = ints.map { .int(Int64($0)) }
        } else if let a = ctx.node.attribute("pool_strings"), case .strings(let strings) = a.value {
            items = strings.map { .string($0) }
        } else {
            throw ctx.fail("needs pool_int64s or pool_strings")
        }
        let counts = try ctx.ints("ngram_counts") ?? []
        indexes = try ctx.ints("ngram_indexes") ?? []
        var pool: [Int: [[Item]: Int]] = [:]
        var id = 0
        for (i, start) in counts.enumerated() {
            let end = i + 1 < counts.count ? counts[i + 1] : items.count
            let n = i + 1
            guard start >= 0, end <= items.count, start <= end, (end - start) % n == 0 else {
                throw ctx.fail("ngram_counts do not split the pool")
            }
            for g in stride(from: start, to: end, by: n) {
                if pool[n, default: [:]][Array(items[g..<(g + n)])] == nil { pool[n, default: [:]][Array(items[g..<(g + n)])] = id }
                id += 1
            }
        }
        guard indexes.count == id else { throw ctx.fail("ngram_indexes has \(indexes.count) entries for \(id) n-grams") }
        self.pool = pool
        weights = try ctx.floats("weights").map { $0.map(Double.init) } ?? Array(repeating: 1, count: id)
        guard weights.count == id else { throw ctx.fail("weights has \(weights.count) entries for \(id) n-grams") }
        outputSize = (indexes.max() ?? -1) + 1
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0)
        guard x.rank == 1 || x.rank == 2 else { throw KernelFailure("input must be [C] or [N, C], got \(x.shape)") }
        let items: [Item] = try x.strings.map { $0.map { .string($0) } } ?? x.int64Values().map { .int($0) }
        let rows = x.rank == 2 ? x.shape[0] : 1, c = x.shape[x.rank - 1]
        var y = [Double](repeating: 0, count: rows * outputSize)
        for r in 0..<rows {
            let row = Array(items[(r * c)..<((r + 1) * c)])
            var counts = [Double](repeating: 0, count: weights.count)
            var smallest = minGram
            for skip in 1...(maxSkip + 1) {
                for start in 0..<c {
                    for n in smallest...max(smallest, maxGram) where n <= maxGram {
                        guard start + skip * (n - 1) < c else { break }
                        let gram = (0..<n).map { row[start + $0 * skip] }
                        if let id = pool[n]?[gram] { counts[id] += 1 }
                    }
                }
                // Unigrams do not depend on the skip: count them in the first pass only.
                if smallest == 1 { smallest = 2 }
                if smallest > maxGram { break }
            }
            for (id, count) in counts.enumerated() where count > 0 {
                let value: Double =
                    switch mode {
                    case .TF: count
                    case .IDF: weights[id]
                    case .TFIDF: count * weights[id]
                    }
                y[r * outputSize + indexes[id]] += value
            }
        }
        return [try FloatIO.make(.float, x.rank == 2 ? [rows, outputSize] : [outputSize], y, context)]
    }
}

enum StringKernels {
    static let kernels: [KernelDescriptor] = [
        KernelDescriptor("TfIdfVectorizer", since: 9) { try TfIdfVectorizerKernel($0) },
        KernelDescriptor("StringConcat", since: 20) { _ in StringConcatKernel() },
        KernelDescriptor("StringSplit", since: 20) { try StringSplitKernel($0) },
        KernelDescriptor("StringNormalizer", since: 10) { try StringNormalizerKernel($0) },
        KernelDescriptor("RegexFullMatch", since: 20) { try RegexFullMatchKernel($0) },
    ]
}
