"""Reviewer calibration: the additive model used to calibrate NIPS 2013-14 reviews.

    score_r = mu + quality[proposal of r] + offset[reviewer of r] + noise_r
    quality ~ N(0, var_quality), offset ~ N(0, var_offset), noise ~ N(0, var_noise), all independent.

Scores are HIGHER IS BETTER; a positive offset is a lenient reviewer. The three variances are fitted
by type-II maximum likelihood: L-BFGS-B with an analytic gradient over the log-ratios
var_quality/var_noise and var_offset/var_noise, with var_noise and mu at their closed-form maxima
for each (mu is the generalised-least-squares mean). The posterior of (quality, offset) given them
is Gaussian and is returned in closed form.

Why it scales: the proposal block of the posterior precision is diagonal, so quality is eliminated
and everything runs on the reviewer-block Schur complement S (reviewers x reviewers, dense). Working
in units of var_noise, ve*S = diag(ve/vb) + a weighted graph Laplacian of "reviewed the same
proposal" plus a positive diagonal; it is assembled in that form so that no diagonal entry is a
difference of large numbers. One Cholesky of it gives the posterior mean, log|Sigma| (determinant
lemma), the offsets' joint covariance and, through pairs of reviewers sharing a proposal, the exact
quality variances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg, optimize
from scipy.linalg import lapack

# var_quality/var_noise and var_offset/var_noise are searched in [1e-6, 1e6]: wide enough for any
# real panel, narrow enough that the Schur complement stays well conditioned for Cholesky.
RATIO_BOUNDS = (1e-6, 1e6)
VARIANCE_NAMES = ("var_quality", "var_offset")


@dataclass(frozen=True, eq=False)
class JointPosterior:
    """Enough of the posterior to draw every proposal's quality jointly (the qualities are correlated
    through shared reviewers). Offsets are drawn from N(offset_mean, ve * (L L^T)^-1); given them,
    each quality is independent: mean quality_mean - shrink * (counts @ (offset - offset_mean)),
    variance var_noise * shrink."""
    var_noise: float
    quality_mean: np.ndarray      # (proposals,)
    shrink: np.ndarray            # (proposals,) 1 / (reviews + var_noise/var_quality)
    counts: sp.csr_matrix         # (proposals, fitted reviewers): reviews by each reviewer
    offset_mean: np.ndarray       # (fitted reviewers,)
    offset_factor: np.ndarray     # lower Cholesky factor L of var_noise * S
    fitted_reviewers: np.ndarray  # reviewer index of each column of counts

    @property
    def n_offset_normals(self) -> int:
        return len(self.offset_mean)

    def draw_quality(self, z_offset: np.ndarray, z_quality: np.ndarray) -> np.ndarray:
        """Qualities (draws, proposals) from standard normals z_offset (draws, n_offset_normals) and
        z_quality (draws, proposals)."""
        offset_dev = np.sqrt(self.var_noise) * linalg.solve_triangular(
            self.offset_factor, np.asarray(z_offset, float).T, lower=True, trans="T", check_finite=False)
        shift = (self.counts @ offset_dev).T * self.shrink
        return self.quality_mean - shift + z_quality * np.sqrt(self.var_noise * self.shrink)


@dataclass(frozen=True, eq=False)
class Calibration:
    mu: float
    var_quality: float
    var_offset: float
    var_noise: float
    quality_mean: np.ndarray   # per proposal; no reviews: 0
    quality_sd: np.ndarray     # per proposal; no reviews: sqrt(var_quality)
    offset_mean: np.ndarray    # per reviewer, positive = lenient; no reviews: 0
    offset_sd: np.ndarray      # per reviewer; no reviews: sqrt(var_offset)
    raw_mean: np.ndarray       # plain mean score per proposal, NaN if none
    reviews_per_proposal: np.ndarray
    log_marginal_likelihood: float
    converged: bool            # the optimiser's own verdict (True when variances were given)
    at_bound: tuple[str, ...]  # variances whose ratio to var_noise ended on a bound: weakly identified
    evaluations: int           # marginal-likelihood evaluations the fit took (0 when given)
    posterior: JointPosterior

    @property
    def calibrated_score(self) -> np.ndarray:
        """mu + quality_mean: the score each proposal would get from an average reviewer."""
        return self.mu + self.quality_mean


class _Design:
    """The review table as the sparse structures every evaluation reuses."""

    def __init__(self, proposal, reviewer, score, n_proposals, n_reviewers):
        self.n_proposals, self.n_reviewers = n_proposals, n_reviewers
        self.score = score
        self.proposal = proposal
        self.fitted_reviewers, self.reviewer = np.unique(reviewer, return_inverse=True)
        n, r = len(score), len(self.fitted_reviewers)
        ones = np.ones(n)
        self.by_proposal = sp.csr_matrix((ones, (proposal, np.arange(n))), shape=(n_proposals, n))
        self.by_reviewer = sp.csr_matrix((ones, (self.reviewer, np.arange(n))), shape=(r, n))
        self.counts = sp.csr_matrix((ones, (proposal, self.reviewer)), shape=(n_proposals, r))
        self.counts.sum_duplicates()
        self.n_reviews = np.bincount(proposal, minlength=n_proposals).astype(float)
        # Every ordered pair of count entries in the same proposal row: C_i S^-1 C_i^T, the part of a
        # quality's variance that comes from its reviewers' offsets, is a sum over these pairs.
        c = self.counts
        row_len = np.diff(c.indptr)
        nz_row = self.count_row = np.repeat(np.arange(n_proposals), row_len)
        partners = row_len[nz_row]
        first = np.repeat(np.arange(c.nnz), partners)
        within = np.arange(first.size) - np.repeat(np.cumsum(partners) - partners, partners)
        second = np.repeat(c.indptr[nz_row], partners) + within
        a, b = c.indices[first], c.indices[second]
        self.pair_row = nz_row[first]
        self.pair_hi, self.pair_lo = np.maximum(a, b), np.minimum(a, b)  # dpotri fills the lower half
        self.pair_weight = c.data[first] * c.data[second]


def _posterior(d: _Design, ratio_q: float, ratio_b: float, var_e: float | None = None,
               full: bool = False) -> dict:
    """Log marginal likelihood, its gradient in (log var_quality, log var_offset, log var_noise), and
    (full) the posterior, at var_quality = ratio_q * var_e and var_offset = ratio_b * var_e. Only the
    ratios shape the posterior mean and the Cholesky; var_e=None takes its closed-form maximum."""
    lam, kappa = 1.0 / ratio_q, 1.0 / ratio_b
    shrink = 1.0 / (d.n_reviews + lam)
    c = d.counts
    schur = -(c.T @ c.multiply(shrink[:, None]).tocsr()).toarray()
    # Diagonal as a sum of positive terms C_ij * w_i * (n_i - C_ij + lam), with n_i - C_ij an exact
    # integer: written as m_j - sum_i C_ij^2 w_i it would cancel to nothing when lam is small.
    row = d.count_row
    diag_terms = c.data * shrink[row] * (d.n_reviews[row] - c.data + lam)
    schur[np.diag_indices_from(schur)] = kappa + np.bincount(c.indices, diag_terms, minlength=len(schur))
    chol, info = lapack.dpotrf(schur, lower=1, clean=0, overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"reviewer Schur complement not positive definite (info {info})")

    # Posterior means for data y and for data 1 (both needed to profile mu), in one solve.
    rhs = np.column_stack([d.score, np.ones_like(d.score)])
    sums = d.by_proposal @ rhs
    offset, _ = lapack.dpotrs(chol, d.by_reviewer @ (rhs - (sums * shrink[:, None])[d.proposal]), lower=1)
    quality = shrink[:, None] * (sums - c @ offset)
    resid = rhs - quality[d.proposal] - offset[d.reviewer]
    mu = resid[:, 0].sum() / resid[:, 1].sum()  # GLS: 1'Sigma^-1 y / 1'Sigma^-1 1
    quality, offset, resid = (m[:, 0] - mu * m[:, 1] for m in (quality, offset, resid))

    n, p, r = len(d.score), d.n_proposals, len(d.fitted_reviewers)
    # var_e * r' Sigma^-1 r as the penalised least-squares minimum: a sum of squares, no cancellation.
    quad = resid @ resid + lam * (quality @ quality) + kappa * (offset @ offset)
    if var_e is None:
        var_e = quad / n
    logdet = (n * np.log(var_e) + np.log1p(d.n_reviews / lam).sum()
              + 2 * np.log(np.diag(chol)).sum() - r * np.log(kappa))
    loglik = -0.5 * (n * np.log(2 * np.pi) + logdet + quad / var_e)

    schur_inv, info = lapack.dpotri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverting the reviewer Schur complement failed (info {info})")
    shared = np.bincount(d.pair_row, weights=d.pair_weight * schur_inv[d.pair_hi, d.pair_lo], minlength=p)
    quality_var = shrink + shrink ** 2 * shared  # in units of var_e
    offset_var = np.diag(schur_inv).copy()
    tr_q, tr_b = lam * quality_var.sum(), kappa * offset_var.sum()  # traces over var_quality, var_offset
    # d loglik / d log v, in the EM form: -(count - E[sum of squares | y] / v) / 2.
    grad = -0.5 * np.array([p - tr_q - lam * (quality @ quality) / var_e,
                            r - tr_b - kappa * (offset @ offset) / var_e,
                            n - p - r + tr_q + tr_b - resid @ resid / var_e])
    out = {"loglik": loglik, "grad": grad, "mu": mu, "var_e": var_e}
    if full:
        out.update(quality=quality, offset=offset, quality_var=var_e * quality_var,
                   offset_var=var_e * offset_var, shrink=shrink, chol=np.tril(chol))
    return out


def _validated(proposal, reviewer, score, n_proposals, n_reviewers):
    arrays = {"proposal": np.asarray(proposal), "reviewer": np.asarray(reviewer), "score": np.asarray(score)}
    for name, a in arrays.items():
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array, got shape {a.shape}")
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"proposal, reviewer and score must have the same length, got {lengths}")
    if lengths["score"] < 2:
        raise ValueError(f"calibration needs at least 2 reviews, got {lengths['score']}")
    for name in ("proposal", "reviewer"):
        a = arrays[name]
        if a.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer indices, got dtype {a.dtype}")
        if a.min() < 0:
            at = int(np.argmin(a))
            raise ValueError(f"{name} index must be >= 0, got {a[at]} at review {at}")
    y = arrays["score"]
    if y.dtype.kind not in "iuf":
        raise ValueError(f"score must be numeric, got dtype {y.dtype}")
    y = y.astype(float)
    if not np.isfinite(y).all():
        at = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"score must be finite, got {y[at]} at review {at}")
    sizes = []
    for name, given in (("proposal", n_proposals), ("reviewer", n_reviewers)):
        needed = int(arrays[name].max()) + 1
        if given is None:
            given = needed
        elif int(given) < needed:
            raise ValueError(f"n_{name}s={given} but {name} index {needed - 1} occurs")
        sizes.append(int(given))
    return arrays["proposal"].astype(np.intp), arrays["reviewer"].astype(np.intp), y, sizes[0], sizes[1]


def calibrate(proposal: np.ndarray, reviewer: np.ndarray, score: np.ndarray,
              n_proposals: int | None = None, n_reviewers: int | None = None, *,
              variances: tuple[float, float, float] | None = None) -> Calibration:
    """Fit the model to one review per entry (0-based proposal and reviewer indices, score higher is
    better). `variances=(var_quality, var_offset, var_noise)` skips the fit and conditions on them."""
    proposal, reviewer, y, n_proposals, n_reviewers = _validated(proposal, reviewer, score,
                                                                 n_proposals, n_reviewers)
    if np.ptp(y) == 0:
        raise ValueError(f"all {len(y)} scores equal {y[0]}: there is no variation to calibrate")
    # Centred scores: mu is found as a ratio of posterior means, and a large common level (scores
    # around 1e6) would otherwise cost digits when it is subtracted back out.
    centre = float(y.mean())
    design = _Design(proposal, reviewer, y - centre, n_proposals, n_reviewers)

    if variances is None:
        # Search the two ratios var/var_noise; var_noise and mu have closed-form maxima for each,
        # and by the envelope theorem the profile's gradient is the partial one.
        def negative_loglik(log_ratio):
            try:
                fit = _posterior(design, *np.exp(log_ratio))
            except np.linalg.LinAlgError:
                return np.inf, np.zeros(2)  # the line search backs off
            return -fit["loglik"] / len(y), -fit["grad"][:2] / len(y)

        bounds = [tuple(np.log(RATIO_BOUNDS))] * 2
        result = optimize.minimize(negative_loglik, np.zeros(2), jac=True, method="L-BFGS-B",
                                   bounds=bounds, options={"ftol": 1e-11, "gtol": 1e-6, "maxiter": 200})
        ratios, converged, evaluations = np.exp(result.x), bool(result.success), int(result.nfev)
        at_bound = tuple(name for name, x in zip(VARIANCE_NAMES, result.x)
                         if min(x - bounds[0][0], bounds[0][1] - x) < 1e-6)
        fit = _posterior(design, *ratios, full=True)
        var_e = float(fit["var_e"])
    else:
        if len(variances) != 3 or not all(np.isfinite(v) and v > 0 for v in variances):
            raise ValueError(f"variances must be three positive finite numbers, got {variances}")
        var_e = float(variances[2])
        ratios, converged, at_bound, evaluations = np.asarray(variances[:2], float) / var_e, True, (), 0
        fit = _posterior(design, *ratios, var_e=var_e, full=True)
    var_q, var_b = (float(v) for v in ratios * var_e)

    offset_mean = np.zeros(n_reviewers)
    offset_sd = np.full(n_reviewers, np.sqrt(var_b))
    offset_mean[design.fitted_reviewers] = fit["offset"]
    offset_sd[design.fitted_reviewers] = np.sqrt(fit["offset_var"])
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_mean = np.bincount(proposal, weights=y, minlength=n_proposals) / design.n_reviews
    posterior = JointPosterior(var_noise=var_e, quality_mean=fit["quality"], shrink=fit["shrink"],
                               counts=design.counts, offset_mean=fit["offset"], offset_factor=fit["chol"],
                               fitted_reviewers=design.fitted_reviewers)
    return Calibration(mu=centre + float(fit["mu"]), var_quality=var_q, var_offset=var_b, var_noise=var_e,
                       quality_mean=fit["quality"], quality_sd=np.sqrt(fit["quality_var"]),
                       offset_mean=offset_mean, offset_sd=offset_sd, raw_mean=raw_mean,
                       reviews_per_proposal=design.n_reviews.astype(int),
                       log_marginal_likelihood=float(fit["loglik"]), converged=converged,
                       at_bound=at_bound, evaluations=evaluations, posterior=posterior)
