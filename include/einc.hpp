/* einc.hpp — owning guards for C++: einc::context (a context that is destroyed with it) and
 * einc::scope (einc_scope_begin now, einc_scope_end when it goes out of scope).
 *
 * The operations stay the C API (einc.h, included here): einc_dot(ctx, ...) with a
 * einc::context passes it as the einc_ctx * it converts to. The guards only make the two
 * begin/end pairs exception-safe and early-return-safe:
 *
 *   einc::context ctx;                           // einc_ctx_create(); destroyed at the end
 *   if (!ctx) return 1;                          // out of memory for the context itself
 *   for (int step = 0; step < steps; step++) {
 *       einc::scope step_scope(ctx);             // einc_scope_begin(ctx)
 *       einc_tensor *loss = model_loss(ctx, batch);
 *       if (!loss) throw std::runtime_error(einc_errmsg(ctx));   // the scope still ends
 *       einc_keep(ctx, loss);
 *   }                                            // einc_scope_end(ctx)
 *
 * Needs C++11. Errors stay sticky on the context, as in C (einc_errcode / einc_errmsg); nothing
 * here throws.
 */
#ifndef EINC_HPP
#define EINC_HPP

#include "einc.h"

namespace einc {

/** Owns an einc_ctx: created by the constructor, destroyed by the destructor. Movable, not
 * copyable; converts to einc_ctx * so it is passed to the C functions as is. */
class context {
  public:
    /** einc_ctx_create(), or einc_ctx_create_with(options) when options is given. The
     * context is null (operator bool false) only if memory for it could not be allocated. */
    context() : ctx_(einc_ctx_create()) {}
    explicit context(const einc_ctx_options &options) : ctx_(einc_ctx_create_with(&options)) {}
    /** Takes ownership of a context made elsewhere (NULL allowed). */
    explicit context(einc_ctx *owned) noexcept : ctx_(owned) {}
    ~context() { einc_ctx_destroy(ctx_); }

    context(const context &) = delete;
    context &operator=(const context &) = delete;
    context(context &&other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
    context &operator=(context &&other) noexcept {
        if (this != &other) {
            einc_ctx_destroy(ctx_);
            ctx_ = other.ctx_;
            other.ctx_ = nullptr;
        }
        return *this;
    }

    einc_ctx *get() const noexcept { return ctx_; }
    operator einc_ctx *() const noexcept { return ctx_; }
    explicit operator bool() const noexcept { return ctx_ != nullptr; }
    /** Gives up ownership: the caller destroys the returned context. */
    einc_ctx *release() noexcept {
        einc_ctx *ctx = ctx_;
        ctx_ = nullptr;
        return ctx;
    }

  private:
    einc_ctx *ctx_;
};

/** einc_scope_begin in the constructor, einc_scope_end in the destructor: the tensors created in
 * between are released when the guard goes out of scope, except those passed to einc_keep.
 * Neither copyable nor movable: it closes exactly the scope it opened. When the begin failed
 * (255 scopes already open; recorded on the context) the destructor ends nothing. */
class scope {
  public:
    explicit scope(einc_ctx *ctx) : ctx_(ctx), open_(einc_scope_begin(ctx) == EINC_OK) {}
    ~scope() {
        if (open_) einc_scope_end(ctx_);
    }
    scope(const scope &) = delete;
    scope &operator=(const scope &) = delete;

    /** Whether the scope was opened. */
    explicit operator bool() const noexcept { return open_; }

  private:
    einc_ctx *ctx_;
    bool open_;
};

} // namespace einc

#endif /* EINC_HPP */
