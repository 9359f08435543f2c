// lmtool as a library, in one import: `import LMToolKit`.
//
// The text, inference, training and store modules are re-exported whole: what is public
// in them is what a library user needs, and the rest is `package`. From the network and
// tensor modules only the model and its values are: their layers, kernels and workspaces
// work on raw pointers and stay inside the package (the bench commands and tests use them
// there).

@_exported import LMInference
@_exported import class LMNetwork.LanguageModel
@_exported import class LMNetwork.Parameter
@_exported import enum LMNetwork.CellKind
@_exported import enum LMNetwork.ConfigurationError
@_exported import enum LMNetwork.ParameterMismatch
@_exported import struct LMNetwork.ModelConfiguration
@_exported import struct LMNetwork.RecurrentState
@_exported import struct LMNetwork.StateMismatch
@_exported import LMStore
@_exported import class LMTensor.Tensor
@_exported import enum LMTensor.ComputeThreads
@_exported import struct LMTensor.RandomGenerator
@_exported import LMText
@_exported import LMTraining
