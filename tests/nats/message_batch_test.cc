// MessageBatch (src/nats/message_batch.h): small messages are held until a batch is full,
// a large one goes at once, Flush and the destructor destroy what is held (the ASan run's
// leak check sees a message that is never destroyed).
#include "nats/message_batch.h"

#include <gtest/gtest.h>

#include <string>

namespace wasmcloud::nats {
namespace {

natsMsg* Message(size_t bytes) {
  // The library is open wherever messages come from a connection; here it is opened first
  // (again: a no-op).
  EXPECT_EQ(nats_Open(-1), NATS_OK);
  natsMsg* m = nullptr;
  const std::string data(bytes, 'x');
  EXPECT_EQ(natsMsg_Create(&m, "a.subject", nullptr, data.data(), static_cast<int>(data.size())),
            NATS_OK);
  return m;
}

TEST(MessageBatchTest, SmallMessagesWaitForAFullBatch) {
  MessageBatch batch;
  for (size_t i = 1; i < MessageBatch::kBatch; ++i) {
    batch.Destroy(Message(100));
    EXPECT_EQ(batch.held(), i);
  }
  batch.Destroy(Message(MessageBatch::kSmall));  // the last one fits: the batch goes
  EXPECT_EQ(batch.held(), 0u);
}

TEST(MessageBatchTest, ALargeMessageGoesAtOnce) {
  MessageBatch batch;
  batch.Destroy(Message(10));
  batch.Destroy(Message(MessageBatch::kSmall + 1));
  EXPECT_EQ(batch.held(), 1u);
  batch.Destroy(nullptr);
  EXPECT_EQ(batch.held(), 1u);
  batch.Flush();
  EXPECT_EQ(batch.held(), 0u);
}

TEST(MessageBatchTest, TheDestructorDestroysWhatIsHeld) {
  auto* batch = new MessageBatch;
  for (int i = 0; i < 5; ++i) batch->Destroy(Message(0));
  EXPECT_EQ(batch->held(), 5u);
  delete batch;  // a leak here fails the sanitizer run
}

}  // namespace
}  // namespace wasmcloud::nats
