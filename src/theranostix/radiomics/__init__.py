"""Radiomics conformant to IBSI 1 (work in progress: feature families on discretised ROIs).

Feature functions take a discretised image (integer grey levels ``1..Ng``, indexed
``[k, j, i]``) and a boolean ROI mask of the same shape and return a mapping from
IBSI feature tags (the ``tag`` column of the IBSI reference tables, e.g.
``cm_joint_max_3D_avg``) to values.
"""
