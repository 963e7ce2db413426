import ONNXIR

/// ImageDecoder (opset 20): decodes an encoded image (uint8 bytes) into [H, W, 3] RGB or BGR, or
/// [H, W, 1] grayscale (ITU-R 601 luma, rounded as Pillow's "L" conversion). Uncompressed BMP
/// (24/32-bit) and binary PNM (P5/P6, maxval up to 255) are decoded here; other formats (JPEG,
/// PNG, TIFF, WebP, JPEG 2000) need codecs Whittle does not link and raise `unsupportedData`.
final class ImageDecoderKernel: Kernel {
    enum PixelFormat: String { case RGB, BGR, Grayscale }
    let format: PixelFormat

    init(_ ctx: KernelBuildContext) throws {
        let f = try ctx.string("pixel_format", default: "RGB")
        guard let format = PixelFormat(rawValue: f) else { throw ctx.fail("unknown pixel_format '\(f)'") }
        self.format = format
    }

    func run(_ inputs: [RuntimeTensor?], _ context: ExecutionContext) throws -> [RuntimeTensor?] {
        let x = try Require.input(inputs, 0, "encoded_stream")
        try Require.type(x, [.uint8], "encoded_stream")
        let bytes = Array(x.elements(UInt8.self))
        let image: (width: Int, height: Int, rgb: [UInt8])
        if bytes.starts(with: [0x42, 0x4D]) {
            image = try Self.bmp(bytes)
        } else if bytes.count > 2, bytes[0] == 0x50, bytes[1] == 0x35 || bytes[1] == 0x36 {
            image = try Self.pnm(bytes)
        } else {
            let node = context.currentNode
            throw InterpreterError.unsupportedData(
                node: node?.name ?? "", op: node?.opType ?? "ImageDecoder",
                reason: "only uncompressed BMP and binary PNM images can be decoded (no JPEG/PNG/TIFF/WebP/JPEG 2000 codec)")
        }
        let pixels = image.width * image.height
        let channels = format == .Grayscale ? 1 : 3
        let out = try context.allocate(.uint8, [image.height, image.width, channels])
        let po = out.raw.assumingMemoryBound(to: UInt8.self)
        for p in 0..<pixels {
            let (r, g, b) = (UInt32(image.rgb[3 * p]), UInt32(image.rgb[3 * p + 1]), UInt32(image.rgb[3 * p + 2]))
            switch format {
            case .RGB: (po[3 * p], po[3 * p + 1], po[3 * p + 2]) = (UInt8(r), UInt8(g), UInt8(b))
            case .BGR: (po[3 * p], po[3 * p + 1], po[3 * p + 2]) = (UInt8(b), UInt8(g), UInt8(r))
            case .Grayscale: po[p] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        return [out]
    }

    private static func little(_ b: [UInt8], _ at: Int, _ count: Int) throws -> Int {
        guard at + count <= b.count else { throw KernelFailure("truncated image header") }
        var v = 0
        for i in (0..<count).reversed() { v = v << 8 | Int(b[at + i]) }
        return v
    }

    /// BITMAPINFOHEADER images, 24 or 32 bits per pixel, no compression; rows bottom-up unless the
    /// height is negative.
    static func bmp(_ b: [UInt8]) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        let offset = try little(b, 10, 4), width = try little(b, 18, 4)
        var height = try little(b, 22, 4)
        if height >= 1 << 31 { height -= 1 << 32 }
        let bits = try little(b, 28, 2), compression = try little(b, 30, 4)
        guard (bits == 24 && compression == 0) || (bits == 32 && (compression == 0 || compression == 3)), width > 0, height != 0 else {
            throw KernelFailure("BMP with \(bits) bits per pixel and compression \(compression) is not supported")
        }
        let rows = abs(height), stride = (bits * width + 31) / 32 * 4, step = bits / 8
        guard offset + stride * rows <= b.count else { throw KernelFailure("truncated BMP pixel data") }
        var rgb = [UInt8](repeating: 0, count: width * rows * 3)
        for y in 0..<rows {
            let source = offset + (height > 0 ? rows - 1 - y : y) * stride
            for x in 0..<width {
                let p = source + x * step
                (rgb[(y * width + x) * 3], rgb[(y * width + x) * 3 + 1], rgb[(y * width + x) * 3 + 2]) = (b[p + 2], b[p + 1], b[p])
            }
        }
        return (width, rows, rgb)
    }

    /// Binary PGM (P5) and PPM (P6) with maxval up to 255; `#` comments in the header.
    static func pnm(_ b: [UInt8]) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        var i = 2
        func token() throws -> Int {
            while i < b.count {
                if b[i] == 0x23 {
                    while i < b.count && b[i] != 0x0A { i += 1 }
                } else if b[i] == 0x20 || (0x09...0x0D).contains(b[i]) {
                    i += 1
                } else {
                    break
                }
            }
            var v = 0, digits = 0
            while i < b.count, (0x30...0x39).contains(b[i]) {
                v = v * 10 + Int(b[i] - 0x30)
                i += 1
                digits += 1
            }
            guard digits > 0, digits < 10 else { throw KernelFailure("malformed PNM header") }
            return v
        }
        let width = try token(), height = try token(), maxValue = try token()
        i += 1  // the single whitespace before the pixels
        let channels = b[1] == 0x36 ? 3 : 1
        guard maxValue > 0, maxValue <= 255, width > 0, height > 0, i + width * height * channels <= b.count else {
            throw KernelFailure("PNM image is truncated or has 16-bit samples")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            for c in 0..<3 {
                let v = Int(b[i + p * channels + (channels == 3 ? c : 0)])
                rgb[p * 3 + c] = UInt8(maxValue == 255 ? v : (v * 255 + maxValue / 2) / maxValue)
            }
        }
        return (width, height, rgb)
    }
}

enum ImageDecoderKernels {
    static let kernels: [KernelDescriptor] = [KernelDescriptor("ImageDecoder", since: 20) { try ImageDecoderKernel($0) }]
}
