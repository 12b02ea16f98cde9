/*
 * logitdyn.h — the C ABI of LogitDynamics (the shared library `libLogitDynC.so`, product
 * `LogitDynC` of the Swift package; the Python package in `python/` is its main user).
 *
 * Conventions
 * - Every function except ld_abi_version and ld_free returns a status: LD_OK (0) when every
 *   output was written, LD_ERROR_INVALID (1) on bad input or arguments. On an error the
 *   NUL-terminated UTF-8 message (cut to err_len − 1 bytes) is in `err`, naming the offending
 *   input; outputs may be partly written. No Swift error or trap crosses this boundary.
 * - Arrays are caller-owned: the library reads its inputs in place and never keeps a pointer
 *   after the call returns. Lengths and strides are int64_t, strides in elements.
 * - JSON results are returned through `char **json_out` as malloc'ed strings: release them with
 *   ld_free. Non-finite numbers in JSON are written as null.
 * - Loss parameters are "key=value" lines separated by '\n', with verl's names and defaults,
 *   exactly as `logitdyn loss --set key=value` takes them (see `logitdyn loss --help`).
 * - Functions are reentrant and thread-safe; call them from any thread. Results never depend
 *   on the `threads` argument.
 */
#ifndef LOGITDYN_H
#define LOGITDYN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LD_ABI_VERSION 1

#define LD_OK 0
#define LD_ERROR_INVALID 1

/* Element types of logits. */
#define LD_FLOAT32 0
#define LD_FLOAT16 1
#define LD_BFLOAT16 2
#define LD_FLOAT64 3

/* Fields of ld_token_stats' output, out[field * rows + r]. */
#define LD_STAT_LSE 0             /* lse(z/τ) = log Σ exp(z_i/τ) */
#define LD_STAT_ENTROPY 1         /* H = −Σ p log p, p = softmax(z/τ) */
#define LD_STAT_COLLISION 2       /* C = Σ p² */
#define LD_STAT_SUM_P2_LOGP 3     /* Σ p² log p */
#define LD_STAT_LOGP 4            /* log p_c of the chosen token (NaN without tokens) */
#define LD_STAT_P 5               /* p_c */
#define LD_STAT_NORM_FACTOR 6     /* √(1 − 2p_c + C): ‖Δz‖ per unit η|A|β (seed 002) */
#define LD_STAT_ENTROPY_CHANGE 7  /* first-order ΔH per unit ηA: −β²(p_c(log p_c + H) − Σp² log p − H·C) */
#define LD_STAT_FINITE 8          /* 1 when the row was usable, 0 for a row with NaN/+inf */
#define LD_STAT_FIELDS 9

/* Flags of ld_token_stats. */
#define LD_ALLOW_NONFINITE 1   /* rows with NaN/+inf get NaN fields and LD_STAT_FINITE 0, not an error */
#define LD_NO_SECOND_MOMENT 2  /* skip Σ p² log p (about 5% faster): fields 3 and 7 are NaN */

/* The version of this ABI (LD_ABI_VERSION of the header the library was built with). */
int32_t ld_abi_version(void);

/* Releases a string returned through json_out; NULL is ignored. */
void ld_free(char *pointer);

/*
 * The fused one-pass kernel over a [rows × vocab] logit matrix, read in place.
 * Element (r, v) is at logits + (r·row_stride + v·col_stride)·sizeof(dtype). Chosen token
 * c_r = tokens[r·token_stride] (tokens may be NULL: fields 4–7 are then NaN). Writes
 * out[LD_STAT_FIELDS · rows]. A row with NaN or +inf is an error naming it unless flags has
 * LD_ALLOW_NONFINITE (then its fields are NaN and LD_STAT_FINITE is 0). τ = temperature.
 * Rows of at most 64 entries are computed exactly in double; longer rows by the fused kernel
 * (float32 with double accumulation, relative error ~1e-6). Bit-identical for any threads.
 */
int32_t ld_token_stats(const void *logits, int32_t dtype, int64_t rows, int64_t vocab,
                       int64_t row_stride, int64_t col_stride,
                       const int64_t *tokens, int64_t token_stride,
                       double temperature, int32_t threads, int32_t flags,
                       double *out, char *err, int64_t err_len);

/*
 * A published policy loss (name: vanilla, ppo, dapo, reinforce, clip_cov, kl_cov, steer) on a
 * [rows × cols] batch, verl-exact. Inputs are row-major doubles; old_log_prob NULL means
 * log_prob, mask NULL means all ones; ref_log_prob, entropy, sum_pi_squared may be NULL unless
 * a parameter needs them. Writes ∂loss/∂log_prob to grad_log_prob[rows·cols] and the tokens
 * selected by Clip-Cov/KL-Cov/the top-entropy mask to selected_mask[rows·cols] (either may be
 * NULL), and {"loss", "pg_loss", metrics…, "n_valid", selection details} to *json_out.
 */
int32_t ld_policy_loss(const char *name, const char *params, int64_t rows, int64_t cols,
                       const double *log_prob, const double *old_log_prob,
                       const double *advantages, const double *mask,
                       const double *ref_log_prob, const double *entropy,
                       const double *sum_pi_squared,
                       double *grad_log_prob, double *selected_mask,
                       char **json_out, char *err, int64_t err_len);

/*
 * The tokens Clip-Cov (method 0) or KL-Cov (method 1) would select, per micro-batch: the rows
 * are split as torch.split(batch, ⌈rows / micro_batches⌉) and each part is selected on its
 * own, as inside verl's micro-batch loss. Parameters (params): clip_cov_ratio, clip_cov_lb,
 * clip_cov_ub, clip_ratio_low, clip_ratio_high, seed (micro-batch j draws with seed + j),
 * torch_manual_seed (one micro-batch only); kl_cov_ratio. Writes 1/0 to selected[rows·cols]
 * and {"method", "micro_batches": [{"rows", "n_valid", "n_selected", "n_eligible",
 * "clip_num"}…]} to *json_out.
 */
int32_t ld_cov_select(int32_t method, const char *params, int64_t rows, int64_t cols,
                      int64_t micro_batches,
                      const double *log_prob, const double *old_log_prob,
                      const double *advantages, const double *mask,
                      double *selected, char **json_out, char *err, int64_t err_len);

/*
 * Seed 003's token covariance cov_i = (log π_i − mean)(A_i − mean) over the valid tokens
 * (mask NULL: all), NaN elsewhere, to cov_out[count]; and for each of n_fractions fractions f
 * the mean covariance of the top max(1, ⌈f·N⌉) valid tokens to
 * table_out[3·k .. 3·k+2] = (f, count, mean).
 */
int32_t ld_token_covariance(int64_t count, const double *log_prob, const double *advantages,
                            const double *mask, int64_t n_fractions, const double *fractions,
                            double *cov_out, double *table_out, char *err, int64_t err_len);

/*
 * One sampled policy-gradient step Δz = ηAβ(e_c − p) on count free logits, as
 * `logitdyn update --json` (same keys), to *json_out.
 */
int32_t ld_update_report(const double *logits, int64_t count, int64_t action, double advantage,
                         double lr, double temperature, char **json_out,
                         char *err, int64_t err_len);

/*
 * The principal branch of logit QRE x = softmax(λAy), y = softmax(λBᵀx) from λ = 0 to
 * lambda_max. The game is `name` (library name or random-MxN[-seedS]) when not NULL, otherwise
 * the row-major payoffs payoff1[rows·cols] (A) and payoff2[rows·cols] (B). requested[n] are λ
 * values solved exactly on the way; switch_branch ±1 leaves a bifurcation along ±φ (0 stays);
 * time_limit in seconds. *json_out: {"game", "shape", "points": [{"lambda", "x", "y"}…],
 * "requested", "events": [{"kind", "lambda", "point"}…], "nash_conv_end", "qre_residual_end"}.
 */
int32_t ld_qre_trace(const char *name, int64_t rows, int64_t cols, const double *payoff1,
                     const double *payoff2, double lambda_max, int64_t n_requested,
                     const double *requested, double switch_branch, double time_limit,
                     char **json_out, char *err, int64_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* LOGITDYN_H */
