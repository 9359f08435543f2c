// Open MPI's mpi.h defines its handles (MPI_COMM_WORLD, MPI_FLOAT, ...) as casts of
// addresses of globals, which Swift does not import; only Sources/CMPI includes it. This
// module exists so that SwiftPM compiles and links CMPI with the flags pkg-config gives.
