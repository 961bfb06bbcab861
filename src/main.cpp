// podrun's entry point: everything lives in the cli room.
#include "podrun/cli/cli.hpp"

int main(int argc, char** argv) {
    return podrun::cli::run(argc, argv);
}
