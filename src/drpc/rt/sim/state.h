// Simulator backend state behind the rt types. Placeholder: the sim backend
// (issue 3) fills this in.
#pragma once
#error "the simulator backend is not written yet"
