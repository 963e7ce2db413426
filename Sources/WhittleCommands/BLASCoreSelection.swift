import Foundation
import Interpreter

#if canImport(Glibc)
    import Glibc
#endif

extension WhittleCommand {
    /// Runs the command line, first re-executing the process with OPENBLAS_CORETYPE set when
    /// OpenBLAS fell back to kernels slower than the CPU can run (see `BLASCore`), and with
    /// OPENBLAS_NUM_THREADS=1: the interpreter splits GEMMs over its own threads and keeps
    /// OpenBLAS on one, but OpenBLAS starts its worker threads when it loads, and they spin
    /// (sched_yield) for a while on the cores the interpreter's threads need. The new process
    /// sees the variables and goes straight on; if exec fails, this one does.
    public static func start() {
        var reexecute = false
        if let core = BLASCore.betterCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 1)
            reexecute = true
        }
        if getenv("OPENBLAS_NUM_THREADS") == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            reexecute = true
        }
        if reexecute { execv("/proc/self/exe", CommandLine.unsafeArgv) }
        main()
    }
}
