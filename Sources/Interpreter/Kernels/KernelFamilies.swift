/// Every kernel family's list, in one explicit place (a test checks each family is here).
let allFamilies: [[KernelDescriptor]] = [
    ElementwiseBinaryKernels.kernels,
    ControlFlowKernels.kernels,
    QuantizationKernels.kernels,
    QuantizationKernels.matmulKernels,
    QuantizationKernels.convKernels,
    RecurrentKernels.kernels,
    MicrosoftContribKernels.kernels,
    DenseKernels.kernels,
]
