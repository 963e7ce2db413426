
BlogitsJ(Dlщ©▄Ф	аш'а2маE©ба═м)AZТeа▄,©IB├а