
BlogitsJ(yАMюgкWа╗ЗOаnlа ≈ю*iсюLTA╝2аX┼╗©D▄а