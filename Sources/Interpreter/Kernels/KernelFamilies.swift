/// Every kernel family's list, in one explicit place (a test checks each family is here).
let allFamilies: [[KernelDescriptor]] = [
    ElementwiseBinaryKernels.kernels,
    ControlFlowKernels.kernels,
    QuantizationKernels.kernels,
    QuantizationKernels.matmulKernels,
    RecurrentKernels.kernels,
    MicrosoftContribKernels.kernels,
]
