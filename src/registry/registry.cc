// Placeholder until issue 3 lands.
#include "registry/registry.h"
