"""scikit-learn's estimator contract (sklearn.utils.estimator_checks), every check on every estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gpuspread import LabelPropagation, LabelSpreading, PoissonLearning


@parametrize_with_checks([LabelSpreading(), LabelPropagation(), PoissonLearning()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
