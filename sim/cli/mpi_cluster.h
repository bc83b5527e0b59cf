// mpi_cluster.h - the MPI cluster of bin/hhsim-mpi (mpi.c; see pipeline.h's
// Cluster). Built only with HH_MPI.
#ifndef HHSIM_MPI_CLUSTER_H
#define HHSIM_MPI_CLUSTER_H

#include "pipeline.h"

// MPI_Init and the cluster of this process (NULL when out of memory).
Cluster *hh_mpi_init(int *argc, char ***argv);
// MPI_Finalize.
void hh_mpi_finalize(void);

#endif
