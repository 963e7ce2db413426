import Testing

@testable import Interpreter

@Suite struct BLASCoreTests {
    @Test func kernelsFollowTheCPUsVectorExtensions() {
        let avx512: Set<String> = ["sse3", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        #expect(BLASCore.coreType(forCPUFlags: avx512) == "SkylakeX")
        #expect(BLASCore.coreType(forCPUFlags: avx512.subtracting(["avx512vl"])) == "Haswell")
        #expect(BLASCore.coreType(forCPUFlags: ["sse3", "avx"]) == nil)
    }

    /// A user's OPENBLAS_CORETYPE always stands, whatever it names.
    @Test func theUsersChoiceWins() {
        #expect(BLASCore.betterCoreType(environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
        #expect(!BLASCore.current.isEmpty)
    }
}
