/* studies.c: the studies' analyses (studies.h). */
#include "studies.h"

#include "harmonization/alignment_analysis.h"
#include "harmonization/harmonization_report.h"
#include "maco/maco.h"
#include "phenoca/hcs_sheet.h"
#include "svrt/svrt_report.h"
#include "tracking/tracking_report.h"
#include "tracking/tracking_shortcut.h"

const ph_analysis ph_study_analyses[] = {
    {"maco", "feature visualisations of a trained model (MACO, Fourier, pixels) with attribution maps; config-driven",
     ph_analyze_maco_main},
    {"shortcut", "a tracking file's shortcut floor: accuracy from the start-goal distance alone", ph_analyze_shortcut_main},
    {"alignment", "a trained image model against human importance maps (saliency and adversarial alignment)",
     ph_analyze_alignment_main},
    {"svrt-report", "the SVRT study's report from its sweeps", ph_analyze_svrt_report_main},
    {"tracking-report", "the tracking study's report from its sweeps", ph_analyze_tracking_report_main},
    {"harmonization-report", "the neural-harmonizer study's report from its sweeps",
     ph_analyze_harmonization_report_main},
    {"hcs-sheet", "a synthetic screen's contact sheet: DMSO, then MoAs at rising dose, channels in false colour",
     ph_analyze_hcs_sheet_main},
};
const int ph_study_analysis_count = (int)(sizeof ph_study_analyses / sizeof ph_study_analyses[0]);
