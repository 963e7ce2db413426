/// Einsum: each letter of the equation names one dimension; `...` stands for broadcast batch
/// dims. `"bij,bjk->bik"` on [B,2,3] and [B,3,4] gives [B,2,4]. Without `->` the output is the
/// ellipsis dims then the letters used once, in alphabetical order (the ONNX implicit mode).
enum EinsumRule {
    /// One term of the equation: letters before and after an optional `...`.
    struct Term {
        var before: [Character], after: [Character], hasEllipsis: Bool

        init?(_ text: Substring) {
            if let dots = text.firstRange(of: "...") {
                (before, after, hasEllipsis) = (Array(text[..<dots.lowerBound]), Array(text[dots.upperBound...]), true)
            } else {
                (before, after, hasEllipsis) = (Array(text), [], false)
            }
            guard (before + after).allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        }
    }

    static func einsum(_ c: NodeContext) -> RuleResult {
        let type = c.elementType(0)
        guard let equation = c.string("equation")?.filter({ $0 != " " }), !equation.isEmpty else { return .tensor(type, nil) }
        let arrow = equation.firstRange(of: "->")
        let left = arrow.map { equation[..<$0.lowerBound] } ?? equation[...]
        let terms = left.split(separator: ",", omittingEmptySubsequences: false).map(Term.init)
        guard terms.count == c.inputCount else { return .tensor(type, nil) }

        var sizes: [Character: Dimension] = [:]
        var uses: [Character: Int] = [:]
        var ellipsisShapes: [[Dimension]] = []
        for (i, term) in terms.enumerated() {
            guard let term, let dims = c.dims(i) else { return .tensor(type, nil) }
            let explicitCount = term.before.count + term.after.count
            guard term.hasEllipsis ? dims.count >= explicitCount : dims.count == explicitCount else { return .tensor(type, nil) }
            let ellipsisRank = dims.count - explicitCount
            let labelled = Array(zip(term.before, dims.prefix(term.before.count))) + Array(zip(term.after, dims.suffix(term.after.count)))
            for (letter, d) in labelled {
                sizes[letter] = sizes[letter].map { DimensionMath.broadcast([[$0], [d]])?.first ?? .unknown } ?? d
                uses[letter, default: 0] += 1
            }
            if term.hasEllipsis { ellipsisShapes.append(Array(dims[term.before.count..<(term.before.count + ellipsisRank)])) }
        }
        let batch = DimensionMath.broadcast(ellipsisShapes) ?? []

        guard let arrow else {
            let once = uses.filter { $0.value == 1 }.keys.sorted()
            return .tensor(type, batch + once.map { sizes[$0] ?? .unknown })
        }
        guard let output = Term(equation[arrow.upperBound...]) else { return .tensor(type, nil) }
        var out: [Dimension] = []
        for letter in output.before {
            guard let d = sizes[letter] else { return .tensor(type, nil) }
            out.append(d)
        }
        if output.hasEllipsis { out += batch }
        for letter in output.after {
            guard let d = sizes[letter] else { return .tensor(type, nil) }
            out.append(d)
        }
        return .tensor(type, out)
    }
}
