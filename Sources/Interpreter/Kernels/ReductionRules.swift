/// What one Reduce* op does per element: the value an input contributes (`load`, which may
/// depend on the output it folds into) and how contributions combine, in scalar and eight-lane
/// form. Rules are small structs so the generic fold specializes into one tight loop per op.
protocol ReductionRule {
    associatedtype Element: SIMDScalar
    var identity: Element { get }
    func load(_ v: Element, _ output: Int) -> Element
    /// Eight elements that all fold into `output`.
    func load(_ v: SIMD8<Element>, _ output: Int) -> SIMD8<Element>
    func combine(_ a: Element, _ b: Element) -> Element
    func combine(_ a: SIMD8<Element>, _ b: SIMD8<Element>) -> SIMD8<Element>
}

extension ReductionRule {
    @inline(__always) func load(_ v: Element, _ output: Int) -> Element { v }
    @inline(__always) func load(_ v: SIMD8<Element>, _ output: Int) -> SIMD8<Element> { v }
}

// MARK: Floating point

struct FloatSum<T: FloatMath>: ReductionRule {
    var identity: T { 0 }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a + b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a + b }
}

struct FloatSumOfMagnitudes<T: FloatMath>: ReductionRule {
    var identity: T { 0 }
    @inline(__always) func load(_ v: T, _ output: Int) -> T { Swift.abs(v) }
    @inline(__always) func load(_ v: SIMD8<T>, _ output: Int) -> SIMD8<T> { T.magnitude(v) }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a + b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a + b }
}

struct FloatSumOfSquares<T: FloatMath>: ReductionRule {
    var identity: T { 0 }
    @inline(__always) func load(_ v: T, _ output: Int) -> T { v * v }
    @inline(__always) func load(_ v: SIMD8<T>, _ output: Int) -> SIMD8<T> { v * v }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a + b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a + b }
}

struct FloatProduct<T: FloatMath>: ReductionRule {
    var identity: T { 1 }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a * b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a * b }
}

/// Max that lets NaN through, as NumPy does.
struct FloatMaximum<T: FloatMath>: ReductionRule {
    var identity: T { -.infinity }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { b > a || b.isNaN ? b : a }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.maximum(a, b) }
}

struct FloatMinimum<T: FloatMath>: ReductionRule {
    var identity: T { .infinity }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { b < a || b.isNaN ? b : a }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.minimum(a, b) }
}

/// exp(x - shift[output]): the sum LogSumExp takes after subtracting each output's maximum.
struct ShiftedExponentials<T: FloatMath>: ReductionRule {
    let shift: UnsafeMutablePointer<T>
    var identity: T { 0 }
    @inline(__always) func load(_ v: T, _ output: Int) -> T { T.exponential(v - shift[output]) }
    @inline(__always) func load(_ v: SIMD8<T>, _ output: Int) -> SIMD8<T> { T.exponential(v - SIMD8(repeating: shift[output])) }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a + b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a + b }
}

// MARK: Integers (wrapping, as C accumulates)

struct IntegerSum<T: FixedWidthInteger & SIMDScalar>: ReductionRule {
    enum Load { case value, magnitude, square }
    let loading: Load
    var identity: T { 0 }
    @inline(__always) func load(_ v: T, _ output: Int) -> T {
        switch loading {
        case .value: v
        case .magnitude: v < 0 ? 0 &- v : v
        case .square: v &* v
        }
    }
    @inline(__always) func load(_ v: SIMD8<T>, _ output: Int) -> SIMD8<T> {
        switch loading {
        case .value: v
        case .magnitude: v.replacing(with: SIMD8<T>.zero &- v, where: v .< 0)
        case .square: v &* v
        }
    }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a &+ b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a &+ b }
}

struct IntegerProduct<T: FixedWidthInteger & SIMDScalar>: ReductionRule {
    var identity: T { 1 }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { a &* b }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { a &* b }
}

struct IntegerMaximum<T: FixedWidthInteger & SIMDScalar>: ReductionRule {
    var identity: T { T.min }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { Swift.max(a, b) }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { pointwiseMax(a, b) }
}

struct IntegerMinimum<T: FixedWidthInteger & SIMDScalar>: ReductionRule {
    /// Bool's maximum is 1, not 255.
    let top: T
    var identity: T { top }
    @inline(__always) func combine(_ a: T, _ b: T) -> T { Swift.min(a, b) }
    @inline(__always) func combine(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { pointwiseMin(a, b) }
}
