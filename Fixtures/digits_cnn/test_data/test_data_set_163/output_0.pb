
BlogitsJ(н„YЅќр≥јfкWЅдqЅy£Жј’ЁAjUGЅ тЅцNЅуксј