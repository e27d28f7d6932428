"""Pictures of results: overlay video, 3D skeleton video, HTML viewer, analysis plots.

Modules: drawing (colours, bones, cv2 skeleton drawing and labels), video (H.264 writer),
overlay (overlay.mp4), skeleton3d (skeleton3d.mp4), html_viewer (viewer.html), analysis_plots
(analysis.png and actions.png of an AnalysisReport, with matplotlib).
"""
