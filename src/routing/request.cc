// Placeholder until issue 3 lands.
#include "routing/request.h"
