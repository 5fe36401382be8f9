//! Per-point estimates of `log p(x)` and their summary over points.

use crate::error::{Result, TrainError};
use serde::{Deserialize, Serialize};

/// One estimate of `log p(x_n)` per evaluated point, with their mean and standard error over points.
///
/// The standard error `s / √M` (sample standard deviation `s` of the `M` values) measures how the mean
/// would vary over another draw of test points; the Monte Carlo error of each value is separate (see the
/// per-point diagnostics of the estimators).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointEstimates {
    points: Vec<usize>,
    values: Vec<f64>,
    mean: f64,
    standard_error: Option<f64>,
}

impl PointEstimates {
    /// The estimates `values[i]` of the points `points[i]`.
    ///
    /// # Errors
    /// No values, lengths that differ, or a non-finite value.
    pub fn new(points: Vec<usize>, values: Vec<f64>) -> Result<Self> {
        if values.is_empty() || values.len() != points.len() {
            return Err(TrainError::InvalidSetting {
                name: "values",
                reason: format!(
                    "need one value per point and at least one, got {} values for {} points",
                    values.len(),
                    points.len()
                ),
            });
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(TrainError::InvalidSetting {
                name: "values",
                reason: format!("non-finite estimate {v}"),
            });
        }
        let m = values.len() as f64;
        let mean = values.iter().sum::<f64>() / m;
        let standard_error = (values.len() >= 2).then(|| {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
            (var / m).sqrt()
        });
        Ok(PointEstimates {
            points,
            values,
            mean,
            standard_error,
        })
    }

    /// The indices of the evaluated points, in the order given.
    pub fn points(&self) -> &[usize] {
        &self.points
    }
    /// The estimate of `log p(x_n)` for each point of [`PointEstimates::points`].
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// The mean of the values.
    pub fn mean(&self) -> f64 {
        self.mean
    }
    /// The standard error of the mean over points; `None` for a single point.
    pub fn standard_error(&self) -> Option<f64> {
        self.standard_error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_standard_error() {
        let e = PointEstimates::new(vec![4, 1, 2], vec![-1.0, -2.0, -6.0]).unwrap();
        assert_eq!(e.mean(), -3.0);
        // Sample variance (4 + 1 + 9) / 2 = 7, s.e. = sqrt(7 / 3).
        assert!((e.standard_error().unwrap() - (7.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(e.points(), &[4, 1, 2]);
        let one = PointEstimates::new(vec![0], vec![-2.5]).unwrap();
        assert_eq!((one.mean(), one.standard_error()), (-2.5, None));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(PointEstimates::new(vec![], vec![]).is_err());
        assert!(PointEstimates::new(vec![0, 1], vec![1.0]).is_err());
        assert!(PointEstimates::new(vec![0], vec![f64::NAN]).is_err());
        assert!(PointEstimates::new(vec![0], vec![f64::NEG_INFINITY]).is_err());
    }
}
