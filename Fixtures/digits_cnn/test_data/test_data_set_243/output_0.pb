
BlogitsJ(Yoа┌YKа╛Aею.╧·юдGаюtoFа+rа ЯYA∙l8а[Hа