// SentencePiece's headers are C++; only Sources/CSentencePiece includes them. This
// module exists so that SwiftPM links the library with the flags pkg-config gives.
