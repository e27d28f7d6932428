"""Pictures of results: overlay video, 3D skeleton video, HTML viewer, shared drawing helpers.

Modules: plots (colours, bones, cv2 skeleton drawing), video (H.264 writer), overlay
(overlay.mp4), skeleton3d (skeleton3d.mp4), html_viewer (viewer.html).
"""
