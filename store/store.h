/* Placeholder replaced by the store module. */
#ifndef INCIDENTD_STORE_H
#define INCIDENTD_STORE_H
#include "err.h"
struct store;
#endif
