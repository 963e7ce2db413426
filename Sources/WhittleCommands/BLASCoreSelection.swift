import Foundation
import Interpreter

#if canImport(Glibc)
    import Glibc
#endif

extension WhittleCommand {
    /// Runs the command line, first re-executing the process with OPENBLAS_CORETYPE set when
    /// OpenBLAS fell back to kernels slower than the CPU can run (see `BLASCore`). The new
    /// process sees the variable and goes straight on; if exec fails, this one does.
    public static func start() {
        if let core = BLASCore.betterCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        }
        main()
    }
}
