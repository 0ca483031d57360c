//! Maximum likelihood by Nelder-Mead (argmin) over the logarithms of positive parameters, so
//! every step stays inside the models' domain without constraints.

use argmin::core::{CostFunction, Error, Executor, State, TerminationReason, TerminationStatus};
use argmin::solver::neldermead::NelderMead;

/// Where a fit ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Minimum {
    pub params: Vec<f64>,
    /// The negative log-likelihood there.
    pub value: f64,
    pub iterations: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("there is too little history to fit {model}: {reason}")]
    TooLittleData { model: &'static str, reason: String },
    #[error("the {model} fit did not converge after {iterations} iterations")]
    NotConverged {
        model: &'static str,
        iterations: u64,
    },
    #[error("the {model} likelihood is not finite at its best parameters")]
    NotFinite { model: &'static str },
}

struct LogSpace<'a, F> {
    negative_log_likelihood: &'a F,
}

impl<F: Fn(&[f64]) -> f64> CostFunction for LogSpace<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, logs: &Vec<f64>) -> Result<f64, Error> {
        let params: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
        let value = (self.negative_log_likelihood)(&params);
        // A step into a region where the likelihood overflows is a bad step, not an error.
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
}

/// Iterations per round; the search restarts from its best point until a round ends converged
/// without improving, which keeps Nelder-Mead from settling on a collapsed simplex.
const ROUND_ITERATIONS: u64 = 5_000;
const ROUNDS: usize = 6;

/// Minimises `negative_log_likelihood` over positive parameters, starting at `start`.
pub(crate) fn minimize_positive(
    model: &'static str,
    negative_log_likelihood: impl Fn(&[f64]) -> f64,
    start: &[f64],
) -> Result<Minimum, FitError> {
    let mut best: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let mut best_value = f64::INFINITY;
    let mut iterations = 0;
    // Tolerances relative to the likelihood's size: a sum over many customers cannot be
    // resolved more finely than its rounding.
    let scale = negative_log_likelihood(start).abs().max(1.0);
    if !scale.is_finite() {
        return Err(FitError::NotFinite { model });
    }
    for _ in 0..ROUNDS {
        let solver = NelderMead::new(simplex_around(&best))
            .with_sd_tolerance(1e-13 * scale)
            .map_err(|_| FitError::NotFinite { model })?;
        let problem = LogSpace {
            negative_log_likelihood: &negative_log_likelihood,
        };
        let result = Executor::new(problem, solver)
            .configure(|state| state.max_iters(ROUND_ITERATIONS))
            .run()
            .map_err(|_| FitError::NotFinite { model })?;
        let state = result.state();
        iterations += state.get_iter();
        let converged = matches!(
            state.get_termination_status(),
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        );
        let value = state.get_best_cost();
        let improved = value < best_value - 1e-12 * scale;
        if let Some(params) = state.get_best_param().filter(|_| value <= best_value) {
            best = params.clone();
            best_value = value;
        }
        if converged && !improved {
            if !best_value.is_finite() || best_value == f64::MAX {
                return Err(FitError::NotFinite { model });
            }
            return Ok(Minimum {
                params: best.iter().map(|l| l.exp()).collect(),
                value: best_value,
                iterations,
            });
        }
    }
    Err(FitError::NotConverged { model, iterations })
}

/// The starting simplex: the point and one step of 0.5 (a factor of 1.65) along each axis.
fn simplex_around(point: &[f64]) -> Vec<Vec<f64>> {
    let mut simplex = vec![point.to_vec()];
    for axis in 0..point.len() {
        let mut vertex = point.to_vec();
        vertex[axis] += 0.5;
        simplex.push(vertex);
    }
    simplex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_positive_bowl() {
        let bowl = |p: &[f64]| (p[0] - 3.0).powi(2) + (p[1].ln() - 1.0).powi(2);
        let min = minimize_positive("bowl", bowl, &[1.0, 1.0]).expect("converges");
        assert!((min.params[0] - 3.0).abs() < 1e-5, "{min:?}");
        assert!((min.params[1] - 1f64.exp()).abs() < 1e-5, "{min:?}");
    }
}
