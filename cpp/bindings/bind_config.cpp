#include "bind_common.hpp"

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/model/schedule.hpp"
#include "onlinesgd/model/teachers.hpp"
#include "onlinesgd/overlaps.hpp"

void bind_config(py::module_& m) {
  using onlinesgd::ModelConfig;
  py::class_<ModelConfig>(m, "ModelConfig")
      .def(py::init<>())
      .def_readwrite("N", &ModelConfig::N)
      .def_readwrite("K", &ModelConfig::K)
      .def_readwrite("M", &ModelConfig::M)
      .def_property(
          "g_student", [](const ModelConfig& c) { return onlinesgd::activation_name(c.g_student); },
          [](ModelConfig& c, const std::string& s) { c.g_student = onlinesgd::activation_from_name(s); })
      .def_property(
          "g_teacher", [](const ModelConfig& c) { return onlinesgd::activation_name(c.g_teacher); },
          [](ModelConfig& c, const std::string& s) { c.g_teacher = onlinesgd::activation_from_name(s); })
      .def_readwrite("lr", &ModelConfig::lr)
      .def_readwrite("lr_v", &ModelConfig::lr_v)
      .def_readwrite("noise", &ModelConfig::noise)
      .def_readwrite("batch", &ModelConfig::batch)
      .def_readwrite("seed", &ModelConfig::seed)
      .def_readwrite("init_std", &ModelConfig::init_std)
      .def_readwrite("v_init", &ModelConfig::v_init)
      .def_readwrite("teacher_v", &ModelConfig::teacher_v)
      .def_property(
          "precision",
          [](const ModelConfig& c) { return c.precision == onlinesgd::Precision::Float32 ? "float32" : "float64"; },
          [](ModelConfig& c, const std::string& s) {
            if (s != "float32" && s != "float64") throw py::value_error("precision must be 'float64' or 'float32'");
            c.precision = s == "float32" ? onlinesgd::Precision::Float32 : onlinesgd::Precision::Float64;
          })
      .def_property(
          "inputs", [](const ModelConfig& c) { return onlinesgd::input_traits(c.inputs).name; },
          [](ModelConfig& c, const std::string& s) { c.inputs = onlinesgd::inputs_from_name(s); })
      .def_readwrite("latent_dim", &ModelConfig::latent_dim)
      .def_property(
          "manifold_f", [](const ModelConfig& c) { return onlinesgd::manifold_f_name(c.manifold_f); },
          [](ModelConfig& c, const std::string& s) { c.manifold_f = onlinesgd::manifold_f_from_name(s); })
      .def_property(
          "feedback", [](const ModelConfig& c) { return c.feedback == onlinesgd::Feedback::Fixed ? "fa" : "backprop"; },
          [](ModelConfig& c, const std::string& s) {
            if (s != "fa" && s != "backprop") throw py::value_error("feedback must be 'backprop' or 'fa'");
            c.feedback = s == "fa" ? onlinesgd::Feedback::Fixed : onlinesgd::Feedback::Backprop;
          })
      .def_readwrite("feedback_vector", &ModelConfig::feedback_vector)
      .def_readwrite("temperature", &ModelConfig::temperature)
      .def_readwrite("weight_decay", &ModelConfig::weight_decay)
      .def_readwrite("weight_decay_v", &ModelConfig::weight_decay_v)
      .def_readwrite("centred", &ModelConfig::centred)
      .def_readwrite("task_sizes", &ModelConfig::task_sizes)
      .def_property(
          "task_activations",
          [](const ModelConfig& c) {
            std::vector<std::string> names;
            for (auto g : c.task_activations) names.push_back(onlinesgd::activation_name(g));
            return names;
          },
          [](ModelConfig& c, const std::vector<std::string>& names) {
            c.task_activations.clear();
            for (const auto& name : names) c.task_activations.push_back(onlinesgd::activation_from_name(name));
          })
      .def_readwrite("task_noises", &ModelConfig::task_noises)
      .def_readwrite("teacher_readout", &ModelConfig::teacher_readout)
      .def_readwrite("teacher_overlap", &ModelConfig::teacher_overlap)
      .def_readwrite("readout_similarity", &ModelConfig::readout_similarity)
      .def_readwrite("switch_times", &ModelConfig::switch_times)
      .def_readwrite("phase_weights", &ModelConfig::phase_weights)
      .def_readwrite("multi_head", &ModelConfig::multi_head)
      .def_readwrite("copy_head", &ModelConfig::copy_head)
      .def_readwrite("freeze_features", &ModelConfig::freeze_features)
      .def("teacher_rows", &ModelConfig::teacher_rows)
      .def("tasks", &ModelConfig::tasks)
      .def("heads", &ModelConfig::heads);

  m.def(
      "model_generalisation_error",
      [](const ModelConfig& c, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T,
         const Eigen::VectorXd& v, const Eigen::VectorXd& v_star) {
        return onlinesgd::generalisation_error(onlinesgd::Overlaps{Q, R, T, v, v_star}, c);
      },
      py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"),
      "eg of the model `config` describes (its teacher rows' activations) from the overlaps");
  m.def(
      "task_errors",
      [](const ModelConfig& c, const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T,
         const Eigen::VectorXd& v, const Eigen::VectorXd& v_star) {
        if (v.size() != c.K * c.heads() || R.cols() != c.teacher_rows() || v_star.size() != c.teacher_rows())
          throw std::invalid_argument("inconsistent overlap shapes");
        return onlinesgd::task_errors(onlinesgd::Overlaps{Q, R, T, v, v_star}, c);
      },
      py::arg("config"), py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"),
      "eg on every task of `config` from the overlaps (v: every head, head by head)");
  m.def(
      "phase_first_steps",
      [](const ModelConfig& c) {
        std::vector<std::uint64_t> steps;
        for (int s = 1; s < onlinesgd::model::phases(c); ++s) steps.push_back(onlinesgd::model::first_step(c, s));
        return steps;
      },
      py::arg("config"), "the first simulation step of every phase after the first (model/schedule.hpp)");
  m.def(
      "teacher_readout", [](const ModelConfig& c) { return onlinesgd::model::teacher_readout(c); }, py::arg("config"),
      "the readout v* of the teachers' M rows this config gives (model/teachers.hpp)");
  m.def(
      "feedback_vector", [](const ModelConfig& c) { return onlinesgd::model::feedback_vector(c); }, py::arg("config"),
      "the feedback vector b of feedback alignment for this config (given, or drawn from its seed)");
  m.def(
      "generalisation_error",
      [](const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T, const Eigen::VectorXd& v,
         const Eigen::VectorXd& v_star, const std::string& g_student, const std::string& g_teacher) {
        onlinesgd::Overlaps o{Q, R, T, v, v_star};
        return onlinesgd::generalisation_error(o, onlinesgd::activation_from_name(g_student),
                                               onlinesgd::activation_from_name(g_teacher));
      },
      py::arg("Q"), py::arg("R"), py::arg("T"), py::arg("v"), py::arg("v_star"), py::arg("g_student"),
      py::arg("g_teacher"));
  m.def(
      "i2",
      [](const std::string& ga, const std::string& gb, double caa, double cbb, double cab) {
        return onlinesgd::gaussian::i2(onlinesgd::activation_from_name(ga), onlinesgd::activation_from_name(gb), caa,
                                       cbb, cab);
      },
      py::arg("g_a"), py::arg("g_b"), py::arg("caa"), py::arg("cbb"), py::arg("cab"));
}
