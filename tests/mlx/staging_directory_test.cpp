// Debris of killed runs beside OUT_DIR: which hidden siblings belong to swan, whose PID they
// carry, and that the next run removes those whose owner is gone (and only those).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "support/fixtures.h"
#include "swan/mlx/staging_directory.h"

namespace swan::mlx {
namespace {

TEST(StagingOwnerPid, ReadsThePidAfterTheExactPrefix) {
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp-123-0", "out"), 123);
  EXPECT_EQ(staging_owner_pid(".out.swan-old-77-12", "out"), 77);
  // An OUT_DIR whose own name contains "swan-" (the bug: the PID was read after its first "swan-").
  EXPECT_EQ(staging_owner_pid(".my-swan-model.swan-tmp-4242-1", "my-swan-model"), 4242);
  EXPECT_EQ(staging_owner_pid(".swan-tmp.swan-tmp-5-0", "swan-tmp"), 5);
}

TEST(StagingOwnerPid, RejectsNamesSwanDidNotWrite) {
  EXPECT_EQ(staging_owner_pid(".other.swan-tmp-123-0", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-new-123-0", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp--123-0", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp-0-0", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp-123", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp-123-0x", "out"), std::nullopt);
  EXPECT_EQ(staging_owner_pid(".out.swan-tmp-99999999999999999999-0", "out"), std::nullopt);  // out of range
  EXPECT_EQ(staging_owner_pid("out.swan-tmp-123-0", "out"), std::nullopt);
}

pid_t finished_process() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;  // reaped: no process has this id now (until the kernel reuses it)
}

TEST(StagingDirectory, RemovesDebrisOfDeadRunsEvenWhenTheOutputNameContainsSwan) {
  test::ScratchDir scratch;
  std::filesystem::create_directories(scratch / "input");
  const auto dead = scratch / (".my-swan-model.swan-tmp-" + std::to_string(finished_process()) + "-0");
  const auto alive = scratch / ".my-swan-model.swan-tmp-1-0";  // PID 1 always exists
  for (const auto& dir : {dead, alive}) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "model.safetensors") << "partial";
  }
  {
    StagingDirectory staging(scratch / "my-swan-model", scratch / "input", false);
    EXPECT_FALSE(std::filesystem::exists(dead));
    EXPECT_TRUE(std::filesystem::exists(alive));
  }
  EXPECT_TRUE(std::filesystem::exists(alive));  // never another run's files
}

}  // namespace
}  // namespace swan::mlx
