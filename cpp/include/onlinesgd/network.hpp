#pragma once
/// Two-layer network state: first layer W (rows = hidden units, K x N, row-major so a
/// unit's weights are contiguous) and second layer v.
#include <Eigen/Dense>

namespace onlinesgd {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct TwoLayerNet {
  RowMatrix W;
  Eigen::VectorXd v;

  Eigen::Index hidden() const { return W.rows(); }
  Eigen::Index inputs() const { return W.cols(); }
  bool finite() const { return W.allFinite() && v.allFinite(); }
};

}  // namespace onlinesgd
