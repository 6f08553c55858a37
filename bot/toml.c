/* Placeholder: the TOML parser lands in the next commit. */
#include "toml.h"
