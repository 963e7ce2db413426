import COpenBLAS
import Foundation

/// Which OpenBLAS kernels this process runs, and which it should.
///
/// Debian's OpenBLAS 0.3.21 picks its kernels once, when the library loads, from the CPU model.
/// On CPUs newer than it knows (Sapphire Rapids, for one) it falls back to its SSE3 "Prescott"
/// kernels, which run sgemm 2-3x slower than the AVX-512 ones the CPU supports. The only
/// override it reads is OPENBLAS_CORETYPE, and only at load time, so the command line tool
/// re-executes itself with it set (WhittleCommand); a user's own OPENBLAS_CORETYPE always wins.
public enum BLASCore {
    /// The kernel family OpenBLAS chose at load ("Prescott", "SkylakeX", ...).
    public static var current: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The OPENBLAS_CORETYPE to use instead of the library's fallback, or nil when its choice
    /// stands: the user set one, the library recognized the CPU, or the CPU has no vector
    /// extension the fallback lacks.
    public static func betterCoreType(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, current == "Prescott" else { return nil }
        return coreType(forCPUFlags: cpuFlags())
    }

    /// SkylakeX kernels need AVX-512 F/CD/BW/DQ/VL; Haswell's need AVX2 and FMA.
    static func coreType(forCPUFlags flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo (what the kernel lets programs use).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
