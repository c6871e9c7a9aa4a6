#include "dispatcher/command_request.h"

#include <google/protobuf/descriptor.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace qcall {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

[[noreturn]] void Mismatch(const FieldDescriptor* from,
                           const FieldDescriptor* to) {
  std::fprintf(stderr, "qcalld: %s cannot fill %s\n", from->full_name().c_str(),
               to->full_name().c_str());
  std::abort();
}

void CopyField(const Message& from, const FieldDescriptor* f, Message* to,
               const FieldDescriptor* t) {
  if (f->cpp_type() != t->cpp_type() || f->is_repeated() || t->is_repeated()) {
    Mismatch(f, t);
  }
  const Reflection* in = from.GetReflection();
  const Reflection* out = to->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return out->SetInt32(to, t, in->GetInt32(from, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return out->SetInt64(to, t, in->GetInt64(from, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return out->SetUInt32(to, t, in->GetUInt32(from, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return out->SetUInt64(to, t, in->GetUInt64(from, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return out->SetDouble(to, t, in->GetDouble(from, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return out->SetFloat(to, t, in->GetFloat(from, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return out->SetBool(to, t, in->GetBool(from, f));
    case FieldDescriptor::CPPTYPE_ENUM:
      if (f->enum_type() != t->enum_type()) Mismatch(f, t);
      return out->SetEnumValue(to, t, in->GetEnumValue(from, f));
    case FieldDescriptor::CPPTYPE_STRING:
      return out->SetString(to, t, in->GetString(from, f));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (f->message_type() != t->message_type()) Mismatch(f, t);
      return out->MutableMessage(to, t)->CopyFrom(in->GetMessage(from, f));
  }
}

Message* KindOf(v1::Command* command) {
  const FieldDescriptor* kind = v1::Command::descriptor()->FindFieldByNumber(
      static_cast<int>(command->kind_case()));
  return kind == nullptr
             ? nullptr
             : command->GetReflection()->MutableMessage(command, kind);
}

const Message* KindOf(const v1::Command& command) {
  const FieldDescriptor* kind = v1::Command::descriptor()->FindFieldByNumber(
      static_cast<int>(command.kind_case()));
  return kind == nullptr ? nullptr
                         : &command.GetReflection()->GetMessage(command, kind);
}

}  // namespace

v1::Command CommandFromRequest(const Message& request,
                               v1::Command::KindCase kind) {
  v1::Command command;
  const FieldDescriptor* field =
      v1::Command::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  if (field == nullptr) std::abort();
  Message* out = command.GetReflection()->MutableMessage(&command, field);
  const Reflection* in = request.GetReflection();
  for (int i = 0; i < out->GetDescriptor()->field_count(); ++i) {
    const FieldDescriptor* t = out->GetDescriptor()->field(i);
    const FieldDescriptor* f =
        request.GetDescriptor()->FindFieldByName(t->name());
    // proto3: a scalar without presence is "set" when it is not its default,
    // and copying a default changes nothing; a oneof member or a message
    // field is copied only when the request has it.
    if (f != nullptr && in->HasField(request, f)) CopyField(request, f, out, t);
  }
  return command;
}

void SignCommand(absl::string_view who, v1::Command* command) {
  Message* kind = KindOf(command);
  if (kind == nullptr) return;
  const Reflection* r = kind->GetReflection();
  const google::protobuf::Descriptor* d = kind->GetDescriptor();
  if (const FieldDescriptor* f = d->FindFieldByName("supervisor_id")) {
    r->SetString(kind, f, std::string(who));
  }
  if (const FieldDescriptor* f = d->FindFieldByName("override");
      f != nullptr && r->HasField(*kind, f)) {
    static_cast<v1::Override*>(r->MutableMessage(kind, f))
        ->set_supervisor_id(std::string(who));
  }
}

bool HasOverride(const v1::Command& command) {
  const Message* kind = KindOf(command);
  if (kind == nullptr) return false;
  const FieldDescriptor* f = kind->GetDescriptor()->FindFieldByName("override");
  return f != nullptr && kind->GetReflection()->HasField(*kind, f);
}

int32_t RequestWindow(const Message& request) {
  const FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("window");
  if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_INT32) return 0;
  return request.GetReflection()->GetInt32(request, f);
}

bool DrawsAtRandom(const v1::Command& command) {
  return command.has_create_booking();
}

void AddRandomness(v1::Command* command) {
  if (!DrawsAtRandom(*command)) return;
  [[maybe_unused]] static const int ready = sodium_init();
  uint64_t seed = 0;
  randombytes_buf(&seed, sizeof(seed));
  command->mutable_create_booking()->set_code_seed(seed);
}

std::string RequestFingerprint(const v1::Command& command) {
  if (!DrawsAtRandom(command)) return command.SerializeAsString();
  v1::Command drawn_apart = command;
  drawn_apart.mutable_create_booking()->clear_code_seed();
  return drawn_apart.SerializeAsString();
}

}  // namespace qcall
