// The clone(2) and setns(2) flags (CLONE_NEW*, CLONE_PARENT, ...), for rooms that name or
// combine them without making the calls; the calls themselves are in sys.
#pragma once

#include <sched.h>
