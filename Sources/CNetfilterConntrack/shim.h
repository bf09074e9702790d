#ifndef CTSIM_CNFCT_SHIM_H
#define CTSIM_CNFCT_SHIM_H
#include <stdint.h>
#include <netinet/in.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#endif
