"""Pictures of results: overlay video, 3D skeleton video, HTML viewer, analysis plots.

Modules: drawing (colours, bones, cv2 skeleton drawing and labels), video (H.264 writer),
overlay (overlay.mp4), skeleton3d (skeleton3d.mp4; its world panels in world_view),
html_viewer (viewer.html), videos (both videos from one decode), people_overlay and
people_scene (several people: the overlay, and everyone in one 3D scene), analysis_plots
(analysis.png and actions.png of an AnalysisReport, with matplotlib).
"""
